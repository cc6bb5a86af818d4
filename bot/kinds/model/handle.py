"""What the model kind is bound to: the deployments port, one Azure OpenAI account and its deployments."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.azure import OpenAIAccountRef
from bot.ports.azure import ModelDeploymentsApi


@dataclass(frozen=True)
class ModelHandle:
    """The model kind bound to one Azure OpenAI account and the deployments the bot pins."""

    api: ModelDeploymentsApi
    ref: OpenAIAccountRef
    deployments: tuple[str, ...]
    location: str | None = None  # the account's region: the checklist then checks its catalog too
