"""The schema kind at the edge: its ``postgres:`` block and the PostgreSQL adapter bound to it."""

from __future__ import annotations

from pydantic import Field

from bot.adapters.azure.postgres import AzurePostgresApi
from bot.adapters.migration_head import SqlMigrationHead
from bot.domain.azure import PostgresServerRef
from bot.kinds.edge import BindContext, ConfigBlock, KindPlugin, NonEmpty, NonEmptySecret
from bot.kinds.schema import KIND, PostgresHandle


class MigrationsConfig(ConfigBlock):
    """Where the application's migration tool records its head (read only: a release records it)."""

    database_url: NonEmptySecret
    version_table: str = Field(default="alembic_version", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class PostgresConfig(ConfigBlock):
    """The application's Azure Database for PostgreSQL flexible server."""

    subscription_id: NonEmpty
    resource_group: NonEmpty
    server: NonEmpty
    migrations: MigrationsConfig | None = None


def bind(block: PostgresConfig, ctx: BindContext) -> PostgresHandle:
    """The PostgreSQL port for the configured server, and the migration head when ``migrations`` is set."""
    migrations = block.migrations
    return PostgresHandle(
        api=AzurePostgresApi(clients=ctx.azure_clients()),
        ref=PostgresServerRef(block.subscription_id, block.resource_group, block.server),
        migrations=SqlMigrationHead(ctx.engine(migrations.database_url), migrations.version_table)
        if migrations
        else None,
    )


PLUGIN = KindPlugin(kind=KIND, block=PostgresConfig, bind=bind)
