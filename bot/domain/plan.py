"""Rollback plans: what will change, from what to what, how, and what could go wrong (pure values)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.kinds import KindName


@dataclass(frozen=True)
class Choice:
    """One target a responder can pick (e.g. a revision or a prompt version)."""

    value: str
    label: str


@dataclass(frozen=True)
class Plan:
    """A concrete, read-only plan, built from live state; ``current`` is re-checked before anything runs."""

    kind: KindName
    executable: bool
    choice: str
    current_text: str
    desired_text: str
    current: dict[str, Any]
    desired: dict[str, Any]
    commands: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()
    blocked_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored with the request)."""
        data = asdict(self)
        data["kind"] = self.kind
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        """Inverse of ``to_dict``."""
        return cls(
            kind=KindName(data["kind"]),
            executable=bool(data["executable"]),
            choice=str(data["choice"]),
            current_text=str(data["current_text"]),
            desired_text=str(data["desired_text"]),
            current=dict(data["current"]),
            desired=dict(data["desired"]),
            commands=tuple(data.get("commands", ())),
            risks=tuple(data.get("risks", ())),
            steps=tuple(data.get("steps", ())),
            choices=tuple(Choice(**c) for c in data.get("choices", ())),
            blocked_reason=data.get("blocked_reason"),
        )

    def same_starting_point(self, other: Plan) -> bool:
        """True when ``other`` (re-planned from live state) starts where this plan started."""
        return self.kind == other.kind and self.current == other.current


@dataclass(frozen=True)
class ChangeEvent:
    """One change on the 'what changed?' timeline."""

    at: datetime
    kind: KindName
    summary: str


@dataclass(frozen=True)
class Verification:
    """The outcome of checking live state after a rollback."""

    ok: bool
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class StepResult:
    """One executed step, for the card and the audit log."""

    name: str
    ok: bool
    seconds: float
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)
