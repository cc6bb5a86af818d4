"""Live state of every configured component of one service environment (``rollback-bot inspect``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.facts import Facts
from bot.errors import RollbackBotError
from bot.kinds import BoundEnvironment, Kinds, LiveState

JSON = dict[str, Any]


@dataclass(frozen=True)
class Section:
    """One configured kind as read now: its live state, or why it could not be read."""

    key: str  # the kind's configuration key, and its key in ``inspect --json``
    title: str
    live: LiveState | None
    error: str | None = None

    def to_json(self) -> JSON:
        """The documented JSON of this section."""
        return self.live.to_json() if self.live is not None else {"error": self.error}

    def facts(self) -> Facts:
        """What people read (the error as a note when it could not be read)."""
        return self.live.facts() if self.live is not None else Facts(self.title, notes=(f"ERROR: {self.error}",))


def inspect_environment(env: BoundEnvironment, kinds: Kinds) -> list[Section]:
    """Read each configured kind; a failing one carries its error and the others still show."""
    sections = []
    for name, bound in env.kinds.items():
        kind = kinds.get(name)
        key, title = (kind.key, kind.title) if kind else (name, name)
        try:
            sections.append(Section(key, title, bound.read()))
        except RollbackBotError as exc:
            sections.append(Section(key, title, None, exc.user_message))
    for name, problem in env.problems.items():
        kind = kinds.get(name)
        sections.append(
            Section(kind.key if kind else name, kind.title if kind else name, None, f"unavailable: {problem}")
        )
    return sections


def inspect_json(sections: list[Section]) -> JSON:
    """``{key: section}`` for ``inspect --json``."""
    return {s.key: s.to_json() for s in sections}
