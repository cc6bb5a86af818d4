"""The ``model`` kind: re-pin an Azure OpenAI deployment to an explicit earlier model version (never "latest")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.kinds import MODEL
from bot.kinds.base import BoundKind, Kind, KindServices
from bot.kinds.model.executor import ModelRepin
from bot.kinds.model.handle import ModelHandle
from bot.kinds.model.state import ModelPin

__all__ = ["KIND", "ModelHandle", "ModelKind", "ModelPin"]


class ModelKind(Kind[ModelHandle]):
    """Azure OpenAI deployments: the model version pinned back."""

    name = MODEL
    key = "openai"
    title = "Azure OpenAI"
    component = "Azure OpenAI account"

    def bind(self, handle: ModelHandle, services: KindServices) -> BoundKind[Any]:
        return ModelRepin(handle, services)

    def decode_state(self, data: Mapping[str, Any]) -> ModelPin:
        return ModelPin.from_json(data)


KIND = ModelKind()
