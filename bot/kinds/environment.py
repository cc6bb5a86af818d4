"""One service/environment with its kinds bound to their resources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from bot.domain.kinds import KindName
from bot.domain.rollback_requests import ServiceEnv
from bot.errors import UsageError
from bot.kinds.base import BoundKind, Kind
from bot.ports.telemetry import TelemetryQuery

H = TypeVar("H")


@dataclass(frozen=True)
class BoundEnvironment:
    """The kinds an environment configures, bound (in registry order), and why any could not be.

    ``problems`` lists configured kinds that could not be bound, with the reason: the environment is
    *degraded*; its other kinds, and every other environment, keep working.
    """

    target: ServiceEnv
    kinds: Mapping[KindName, BoundKind[Any]] = field(default_factory=dict)
    handles: Mapping[KindName, object] = field(default_factory=dict)
    telemetry: TelemetryQuery | None = None
    problems: Mapping[KindName, str] = field(default_factory=dict)

    @property
    def degraded(self) -> bool:
        """True when some configured kind could not be bound."""
        return bool(self.problems)

    def bound(self, name: KindName) -> BoundKind[Any]:
        """The bound kind ``name``.

        Raises:
            UsageError: the environment does not configure it (or it could not be bound: the reason).
        """
        if name in self.kinds:
            return self.kinds[name]
        if name in self.problems:
            raise UsageError(f"`{name}` is configured for {self.target} but unavailable: {self.problems[name]}")
        configured = ", ".join(self.kinds) or "nothing"
        raise UsageError(f"Rolling back `{name}` is not configured for {self.target} (configured: {configured}).")

    def handle(self, kind: Kind[H]) -> H:
        """The typed handle (ports and references) of ``kind`` here, for features that need its port."""
        self.bound(kind.name)
        return cast(H, self.handles[kind.name])
