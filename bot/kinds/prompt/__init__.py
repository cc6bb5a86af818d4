"""The ``prompt`` kind: re-activate a previous version of a system prompt, atomically, with no deploy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.kinds import PROMPT
from bot.kinds.base import BoundKind, Kind, KindServices
from bot.kinds.prompt.executor import PromptActivation
from bot.kinds.prompt.state import PromptPointer
from bot.ports.prompts import PromptStore

__all__ = ["KIND", "PromptHandle", "PromptKind", "PromptPointer"]


@dataclass(frozen=True)
class PromptHandle:
    """The prompt kind bound to one application's prompt registry."""

    store: PromptStore


class PromptKind(Kind[PromptHandle]):
    """Versioned system prompts: the active pointer moved back."""

    name = PROMPT
    key = "prompts"
    title = "Prompts"
    component = "prompt registry"

    def bind(self, handle: PromptHandle, services: KindServices) -> BoundKind[Any]:
        return PromptActivation(handle.store)

    def decode_state(self, data: Mapping[str, Any]) -> PromptPointer:
        return PromptPointer.from_json(data)


KIND = PromptKind()
