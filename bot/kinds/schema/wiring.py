"""The schema kind at the edge: its ``postgres:`` block and the PostgreSQL adapter bound to it."""

from __future__ import annotations

from bot.adapters.azure.postgres import AzurePostgresApi
from bot.domain.azure import PostgresServerRef
from bot.kinds.edge import BindContext, ConfigBlock, KindPlugin, NonEmpty
from bot.kinds.schema import KIND, PostgresHandle


class PostgresConfig(ConfigBlock):
    """The application's Azure Database for PostgreSQL flexible server."""

    subscription_id: NonEmpty
    resource_group: NonEmpty
    server: NonEmpty


def bind(block: PostgresConfig, ctx: BindContext) -> PostgresHandle:
    """The PostgreSQL port for the configured server."""
    return PostgresHandle(
        api=AzurePostgresApi(clients=ctx.azure_clients()),
        ref=PostgresServerRef(block.subscription_id, block.resource_group, block.server),
    )


PLUGIN = KindPlugin(kind=KIND, block=PostgresConfig, bind=bind)
