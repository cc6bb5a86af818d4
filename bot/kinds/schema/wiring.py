"""The schema kind at the edge: its ``postgres:`` block and the adapters bound to it.

``postgres.migration_job`` runs down-migrations as a Container Apps job; ``postgres.cutover`` points the
environment's container app (its ``container_app`` block, bound first) at a restored server.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Protocol, runtime_checkable

from pydantic import Field, field_validator

from bot.adapters.azure.jobs import AzureJobsApi
from bot.adapters.azure.postgres import AzurePostgresApi
from bot.adapters.migration_head import SqlMigrationHead
from bot.domain.azure import ContainerAppRef, JobRef, PostgresServerRef, Revision
from bot.domain.kinds import CODE
from bot.domain.releases import Release
from bot.domain.secrets import SecretText
from bot.errors import UsageError
from bot.kinds.edge import BindContext, ConfigBlock, KindPlugin, NonEmpty, NonEmptySecret
from bot.kinds.schema import KIND, Cutover, MigrationJob, Pace, PostgresHandle
from bot.kinds.schema.handle import TARGET
from bot.ports.azure import ContainerAppsApi

_IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"


class MigrationsConfig(ConfigBlock):
    """Where the application's migration tool records its head (read only: a release records it)."""

    database_url: NonEmptySecret
    version_table: str = Field(default="alembic_version", pattern=_IDENTIFIER)


class MigrationJobConfig(ConfigBlock):
    """The application's migration tool as a Container Apps job, and the command that migrates down."""

    name: NonEmpty
    container: NonEmpty
    down_command: list[NonEmpty] = Field(min_length=1)
    subscription_id: str | None = None  # default: the server's
    resource_group: str | None = None  # default: the server's
    timeout_minutes: int = Field(default=30, ge=1, le=1440)

    @field_validator("down_command")
    @classmethod
    def _has_target(cls, value: list[str]) -> list[str]:
        if not any(TARGET in part for part in value):
            raise ValueError(f"the down command must say where to go: put {TARGET} where the migration head goes")
        return value


class CutoverConfig(ConfigBlock):
    """Which environment variable of which container of the environment's container app names the database host."""

    container: NonEmpty
    env_var: str = Field(default="DATABASE_HOST", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class PostgresConfig(ConfigBlock):
    """The application's Azure Database for PostgreSQL flexible server."""

    subscription_id: NonEmpty
    resource_group: NonEmpty
    server: NonEmpty
    migrations: MigrationsConfig | None = None
    migration_job: MigrationJobConfig | None = None
    cutover: CutoverConfig | None = None
    restore_timeout_minutes: int = Field(default=240, ge=1, le=10080)
    restore_poll_seconds: float = Field(default=30.0, gt=0, le=600)
    progress_minutes: float = Field(default=5.0, gt=0, le=240)


@runtime_checkable
class _App(Protocol):
    """What the cut-over needs of the environment's container app (the code kind's handle has it)."""

    @property
    def api(self) -> ContainerAppsApi: ...

    @property
    def ref(self) -> ContainerAppRef: ...

    def health_url_of(self, revision: Revision) -> SecretText: ...


def bind(block: PostgresConfig, ctx: BindContext) -> PostgresHandle:
    """The PostgreSQL port for the configured server, the migration head, job and cut-over when configured."""
    ref = PostgresServerRef(block.subscription_id, block.resource_group, block.server)
    migrations = block.migrations
    if block.migration_job is not None and migrations is None:
        raise UsageError("postgres.migration_job needs postgres.migrations (where the migration head is read)")
    return PostgresHandle(
        api=AzurePostgresApi(clients=ctx.azure_clients()),
        ref=ref,
        migrations=SqlMigrationHead(ctx.engine(migrations.database_url), migrations.version_table)
        if migrations
        else None,
        version_table=migrations.version_table if migrations else "alembic_version",
        job=_job(block, ctx),
        cutover=_cutover(block, ctx),
        history=_history(ctx),
        pace=Pace(
            restore_timeout=timedelta(minutes=block.restore_timeout_minutes),
            poll_seconds=block.restore_poll_seconds,
            progress_every=timedelta(minutes=block.progress_minutes),
        ),
    )


def _job(block: PostgresConfig, ctx: BindContext) -> MigrationJob | None:
    job = block.migration_job
    if job is None:
        return None
    ref = JobRef(job.subscription_id or block.subscription_id, job.resource_group or block.resource_group, job.name)
    return MigrationJob(
        api=AzureJobsApi(clients=ctx.azure_clients()),
        ref=ref,
        container=job.container,
        down_command=tuple(job.down_command),
        timeout=timedelta(minutes=job.timeout_minutes),
    )


def _cutover(block: PostgresConfig, ctx: BindContext) -> Cutover | None:
    config = block.cutover
    if config is None:
        return None
    app = ctx.handles.get(CODE)
    if not isinstance(app, _App):
        raise UsageError("postgres.cutover needs the environment's container_app block (the app to point elsewhere)")
    if ctx.guard is None:
        raise UsageError("postgres.cutover needs the deploy guard, which this process does not run")
    return Cutover(
        api=app.api,
        ref=app.ref,
        container=config.container,
        env_var=config.env_var,
        health_url_of=app.health_url_of,
        guard=ctx.guard,
    )


def _history(ctx: BindContext) -> Callable[[], Sequence[Release]] | None:
    releases, target = ctx.releases, ctx.target
    if releases is None:
        return None

    def recent() -> Sequence[Release]:
        return releases.recent(target, limit=20)

    return recent


PLUGIN = KindPlugin(kind=KIND, block=PostgresConfig, bind=bind)
