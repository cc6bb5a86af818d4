"""Rollback plans: what will change, from what to what, how, how to undo it, and what could go wrong.

A plan is typed over its kind's *state*: the exact thing the rollback touches (a whole traffic rule list,
a prompt's active pointer, a deployment's model pin, an alias target), a frozen dataclass with a JSON
codec. ``current`` is what was read when the plan was made and is re-checked before anything runs;
``desired`` is what the rollback writes. Plans are stored with their requests (:data:`PLAN_FORMAT`);
plans stored by an earlier version of the bot are still shown, never executed (``legacy``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from bot.domain.kinds import KindName

PLAN_FORMAT = 2  # 1: the untyped plans of earlier versions (texts only, never executed)


class KindState(Protocol):
    """What a rollback of one kind touches, as a value: compared whole, stored as versioned JSON."""

    def to_json(self) -> dict[str, Any]:
        """The state as JSON (with its own version number under ``v``)."""
        ...

    def describe(self) -> str:
        """The state for people, in one line of plain text."""
        ...


S = TypeVar("S", bound=KindState)


# A choice's value travels through the chat surface (an option's value, a dialog's state) as a short key:
# itself when it is short, else a digest of it (a prompt's name has no length limit; Slack's option values do).
MAX_KEY = 100
_DIGEST = "sha256:"


def choice_key(value: str) -> str:
    """A short key that stands for the choice ``value`` (the value itself when it is short)."""
    if len(value) <= MAX_KEY and not value.startswith(_DIGEST):
        return value
    return _DIGEST + hashlib.sha256(value.encode("utf-8")).hexdigest()[:40]


def is_digest_key(key: str) -> bool:
    """True for a key that stands for a longer value (resolve it against a plan's ``choices``)."""
    return key.startswith(_DIGEST)


@dataclass(frozen=True)
class Choice:
    """One target a responder can pick (e.g. a revision or a prompt version)."""

    value: str
    label: str

    @property
    def key(self) -> str:
        """What stands for this choice where space is short (``choice_key``)."""
        return choice_key(self.value)


@dataclass(frozen=True)
class Plan(Generic[S]):
    """A concrete, read-only plan built from live state.

    ``commands`` is the exact equivalent of what the bot will do; ``roll_forward`` the exact commands
    that put ``current`` back (undo the rollback). ``note`` says in one sentence what the rollback leaves
    behind (e.g. traffic pinned by revision name). ``current`` is None only for a blocked plan that
    could not read its target, or a legacy plan.
    """

    kind: KindName
    choice: str
    current: S | None
    desired: S | None
    current_text: str
    desired_text: str
    commands: tuple[str, ...] = ()
    roll_forward: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()
    blocked_reason: str | None = None
    note: str = ""
    format: int = PLAN_FORMAT
    # A change made in two requests (a restore, then the cut-over to it): what this plan makes (``produces``), or
    # what it continues (``follows``). Whoever approved the first may not ask for the second: two people again.
    produces: str = ""
    follows: str = ""

    @classmethod
    def blocked(
        cls,
        kind: KindName,
        why: str,
        *,
        current: S | None = None,
        current_text: str,
        desired_text: str = "—",
        choice: str = "",
        choices: tuple[Choice, ...] = (),
        commands: tuple[str, ...] = (),
        risks: tuple[str, ...] = (),
    ) -> Plan[S]:
        """A plan that cannot be carried out, saying why (and what a person could run instead)."""
        return cls(
            kind=kind,
            choice=choice,
            current=current,
            desired=None,
            current_text=current_text,
            desired_text=desired_text,
            commands=commands,
            risks=risks,
            choices=choices,
            blocked_reason=why,
        )

    @property
    def legacy(self) -> bool:
        """Stored by an earlier version of the bot: readable, never executable."""
        return self.format < PLAN_FORMAT

    @property
    def executable(self) -> bool:
        """True when the bot can carry the plan out."""
        return self.blocked_reason is None and not self.legacy and None not in (self.current, self.desired)

    def same_starting_point(self, other: Plan[Any]) -> bool:
        """True when ``other`` (re-planned from live state) starts exactly where this plan started."""
        return not self.legacy and self.kind == other.kind and self.current == other.current


@dataclass(frozen=True)
class ChangeEvent:
    """One change on the 'what changed?' timeline; ``actor`` is who made it when known (a Slack id or a name)."""

    at: datetime
    kind: KindName
    summary: str
    actor: str | None = None


@dataclass(frozen=True)
class StepResult:
    """One executed step (or one verification check), for the card and the audit log."""

    name: str
    ok: bool
    seconds: float
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    # A progress report while a long step runs (a restore taking hours): posted in the thread, not a step.
    progress: bool = False


@dataclass(frozen=True)
class Verification:
    """The outcome of checking live state after a change: each check is a named step."""

    checks: tuple[StepResult, ...] = ()

    @property
    def ok(self) -> bool:
        """Every check held (and there was at least one)."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def details(self) -> tuple[str, ...]:
        """One line per check."""
        return tuple(f"{c.name}: {c.detail}" for c in self.checks)

    @property
    def failure(self) -> str:
        """What did not hold, in one sentence (empty when it all held)."""
        return "; ".join(c.detail for c in self.checks if not c.ok) or ("" if self.checks else "nothing was checked")
