"""The ``model`` kind: re-pin an Azure OpenAI deployment to an explicit earlier model version (never "latest")."""

from __future__ import annotations

from typing import Any

from bot.domain.kinds import MODEL
from bot.domain.plan import Plan
from bot.domain.signals import Dimension, Group
from bot.kinds.base import Kind
from bot.kinds.model.executor import ModelRepin
from bot.kinds.model.handle import ModelHandle
from bot.kinds.model.state import ModelPin

__all__ = ["KIND", "ModelHandle", "ModelPin"]


def _model(plan: Plan[Any]) -> Group | None:
    """The model version a model rollback re-pins the deployment to."""
    desired = plan.desired
    if not isinstance(desired, ModelPin) or not desired.version:
        return None
    return Group(Dimension.model, desired.deployment, desired.version)


KIND: Kind[ModelHandle] = Kind(
    name=MODEL,
    key="openai",
    title="Azure OpenAI",
    component="Azure OpenAI account",
    bind=ModelRepin,
    decode=ModelPin.from_json,
    restores=_model,
)
