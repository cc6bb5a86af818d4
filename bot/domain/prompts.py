"""Versioned system prompts: immutable versions and the history of which one was active."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PromptVersion:
    """One immutable version of a named prompt; at most one version per name is active."""

    name: str
    version: int
    content: str
    is_active: bool
    created_at: datetime


@dataclass(frozen=True)
class PromptActivation:
    """A change of the active version of a prompt (``from_version`` is None when none was active)."""

    name: str
    from_version: int | None
    to_version: int
    at: datetime
    actor: str
    reason: str


@dataclass(frozen=True)
class GuardStatus:
    """Whether the database-side guards of a prompts table are in place, and how to restore them.

    Without them nothing stops a second active version or an edit of a version a rollback goes back
    to, and activations go unrecorded: prompt rollbacks are refused until they are back.
    """

    table: str
    problems: tuple[str, ...] = ()
    restore_command: str = "rollback-bot prompts init"

    @property
    def ok(self) -> bool:
        """True when every guard is in place."""
        return not self.problems

    def message(self) -> str:
        """One sentence for people: what is wrong and the command that fixes it."""
        return (
            f"The prompt guards on table {self.table} are not in place ({'; '.join(self.problems)}): "
            f"prompt rollbacks are refused until they are. Restore them with `{self.restore_command}`."
        )
