"""The model kind at the edge: its ``openai:`` block and the Azure OpenAI adapter bound to it."""

from __future__ import annotations

from pydantic import Field

from bot.adapters.azure.openai import AzureModelDeploymentsApi
from bot.domain.azure import OpenAIAccountRef
from bot.kinds.edge import BindContext, ConfigBlock, KindPlugin, NonEmpty
from bot.kinds.model import KIND, ModelHandle


class OpenAIConfig(ConfigBlock):
    """An Azure OpenAI account and the deployments whose model versions the bot pins."""

    subscription_id: NonEmpty
    resource_group: NonEmpty
    account: NonEmpty
    deployments: tuple[NonEmpty, ...] = Field(min_length=1)
    # The account's region (e.g. eastus): the checklist then also checks that the previous model version is
    # still offered there, not only in the account's catalog.
    location: str | None = Field(default=None, pattern=r"^[a-z0-9]+$")


def bind(block: OpenAIConfig, ctx: BindContext) -> ModelHandle:
    """The deployments port for the configured account."""
    return ModelHandle(
        api=AzureModelDeploymentsApi(clients=ctx.azure_clients()),
        ref=OpenAIAccountRef(block.subscription_id, block.resource_group, block.account),
        deployments=tuple(block.deployments),
        location=block.location,
    )


PLUGIN = KindPlugin(kind=KIND, block=OpenAIConfig, bind=bind)
