"""What a code rollback touches: the app's whole traffic rule list and which revisions are active."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.azure import ContainerAppState
from bot.domain.traffic import TrafficRules

VERSION = 1


@dataclass(frozen=True)
class CodeState:
    """The app's revisions mode, latest revision, traffic rules (whole, in order) and active revisions."""

    mode: str | None
    latest: str | None
    rules: TrafficRules
    active: frozenset[str]

    @classmethod
    def of(cls, app: ContainerAppState) -> CodeState:
        """The state of a container app as read from Azure."""
        return cls(
            mode=app.active_revisions_mode,
            latest=app.latest_revision,
            rules=app.traffic,
            active=frozenset(r.name for r in app.revisions if r.active),
        )

    def to_json(self) -> dict[str, Any]:
        """Versioned JSON."""
        return {
            "v": VERSION,
            "mode": self.mode,
            "latest": self.latest,
            "rules": self.rules.to_json(),
            "active": sorted(self.active),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CodeState:
        """Inverse of ``to_json``."""
        if data.get("v") != VERSION:
            raise ValueError(f"not a code state of version {VERSION}: {data.get('v')!r}")
        return cls(
            mode=data.get("mode"),
            latest=data.get("latest"),
            rules=TrafficRules.from_json(data["rules"]),
            active=frozenset(str(name) for name in data["active"]),
        )

    def describe(self) -> str:
        """The rules for people: ``v1: 100 %; latest revision (v2): 0 % [label next]``."""
        return self.rules.describe(self.latest)
