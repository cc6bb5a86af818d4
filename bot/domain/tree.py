"""The rollback decision tree as data: steps guarded by predicates over the flow state."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any

from bot.domain.kinds import KindName, parse_kind
from bot.errors import UsageError


class Step(StrEnum):
    """Where the responder is in the guided flow."""

    target = "target"  # which service/environment, and: is it a production emergency?
    investigate = "investigate"  # not an emergency: investigate first, with a way to proceed
    what_changed = "what_changed"  # timeline, likely culprit preselected
    plan = "plan"  # current → target, command, risks, target choice, reason


@dataclass(frozen=True)
class FlowState:
    """Everything chosen so far; travels in the modal's private_metadata."""

    channel_id: str
    service: str | None = None
    environment: str | None = None
    emergency: bool | None = None
    kind: KindName | None = None
    choice: str | None = None
    investigated: bool | None = None

    def with_(self, **changes: Any) -> FlowState:
        """A copy with ``changes`` applied."""
        return replace(self, **changes)

    def encode(self) -> str:
        """Compact JSON for private_metadata (well under Slack's 3000 characters)."""
        data = {k: v for k, v in asdict(self).items() if v is not None}
        if self.kind is not None:
            data["kind"] = self.kind
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str, kinds: Collection[KindName]) -> FlowState:
        """Inverse of ``encode`` (``kinds``: the known kinds); malformed metadata is a usage error, never a crash."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TypeError("private_metadata is not an object")
            kind = data.get("kind")
            return cls(
                channel_id=str(data["channel_id"]),
                service=data.get("service"),
                environment=data.get("environment"),
                emergency=data.get("emergency"),
                kind=parse_kind(str(kind), kinds) if kind else None,
                choice=data.get("choice"),
                investigated=data.get("investigated"),
            )
        except (ValueError, KeyError, TypeError):
            raise UsageError("This dialog's state could not be read; start again with `/rollback`.") from None


Predicate = Callable[[FlowState], bool]

# Evaluated in order: the first step whose predicate holds is where the responder goes next.
TREE: tuple[tuple[Step, Predicate], ...] = (
    (Step.target, lambda s: s.service is None or s.environment is None or s.emergency is None),
    (Step.investigate, lambda s: s.emergency is False and not s.investigated),
    (Step.what_changed, lambda s: s.kind is None),
    (Step.plan, lambda s: True),
)


def next_step(state: FlowState) -> Step:
    """The step that follows from what has been chosen so far."""
    return next(step for step, holds in TREE if holds(state))
