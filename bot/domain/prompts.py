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
