"""The code kind at the edge: its ``container_app:`` block and the Container Apps adapter bound to it."""

from __future__ import annotations

from pydantic import Field

from bot.adapters.azure.container_apps import AzureContainerAppsApi
from bot.domain.azure import ContainerAppRef
from bot.domain.secrets import SecretText
from bot.kinds.code import KIND, CodeHandle
from bot.kinds.edge import BindContext, ConfigBlock, KindPlugin, NonEmpty, SecretUrl


class ContainerAppConfig(ConfigBlock):
    """An Azure Container App whose revisions carry the service's code."""

    subscription_id: NonEmpty
    resource_group: NonEmpty
    name: NonEmpty
    health_path: str = Field(default="/health/ready", pattern=r"^/")
    # Where a revision's health endpoint is reached; {fqdn}, {revision}, {app} and {path} are filled in. A key it
    # carries comes from a ${VAR} reference and is shown redacted (…?code=***).
    health_url: SecretUrl = SecretText.plain("https://{fqdn}{path}")


def bind(block: ContainerAppConfig, ctx: BindContext) -> CodeHandle:
    """The Container Apps port for the configured app."""
    return CodeHandle(
        api=AzureContainerAppsApi(clients=ctx.azure_clients()),
        ref=ContainerAppRef(block.subscription_id, block.resource_group, block.name),
        health_path=block.health_path,
        health_url=block.health_url,
    )


PLUGIN = KindPlugin(kind=KIND, block=ContainerAppConfig, bind=bind)
