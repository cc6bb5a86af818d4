"""The ``prompt`` kind: re-activate a previous version of a system prompt, atomically, with no deploy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.kinds import PROMPT
from bot.domain.plan import Plan
from bot.domain.signals import Dimension, Group
from bot.kinds.base import Kind
from bot.kinds.prompt.executor import PromptActivation
from bot.kinds.prompt.state import PromptPointer
from bot.ports.prompts import PromptStore

__all__ = ["KIND", "PromptHandle", "PromptPointer"]


@dataclass(frozen=True)
class PromptHandle:
    """The prompt kind bound to one application's prompt registry."""

    store: PromptStore


def _version(plan: Plan[Any]) -> Group | None:
    """The prompt version a prompt rollback activates."""
    desired = plan.desired
    if not isinstance(desired, PromptPointer) or desired.active is None:
        return None
    return Group(Dimension.prompt_version, desired.prompt, str(desired.active))


KIND: Kind[PromptHandle] = Kind(
    name=PROMPT,
    key="prompts",
    title="Prompts",
    component="prompt registry",
    bind=lambda handle, services: PromptActivation(handle.store),
    decode=PromptPointer.from_json,
    restores=_version,
)
