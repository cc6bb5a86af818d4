"""The ``model`` kind: re-pin an Azure OpenAI deployment to an explicit earlier model version (never "latest")."""

from __future__ import annotations

from bot.domain.kinds import MODEL
from bot.kinds.base import Kind
from bot.kinds.model.executor import ModelRepin
from bot.kinds.model.handle import ModelHandle
from bot.kinds.model.state import ModelPin

__all__ = ["KIND", "ModelHandle", "ModelPin"]


KIND: Kind[ModelHandle] = Kind(
    name=MODEL,
    key="openai",
    title="Azure OpenAI",
    component="Azure OpenAI account",
    bind=ModelRepin,
    decode=ModelPin.from_json,
)
