"""What the schema kind is bound to: the server, and optionally the migration job, the cut-over and the releases."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.domain.azure import ContainerAppRef, JobRef, PostgresServerRef, Revision
from bot.domain.releases import Release
from bot.domain.secrets import SecretText
from bot.ports.azure import ContainerAppsApi, PostgresApi
from bot.ports.guard import TemplateGuard
from bot.ports.jobs import JobsApi
from bot.ports.migrations import MigrationHead

TARGET = "{target}"


@dataclass(frozen=True)
class MigrationJob:
    """The application's migration tool as a Container Apps job, and the command that migrates down."""

    api: JobsApi
    ref: JobRef
    container: str
    down_command: tuple[str, ...]  # holds ``{target}``, filled in with the migration head to go back to
    timeout: timedelta = timedelta(minutes=30)

    def command(self, target: str) -> tuple[str, ...]:
        """The exact command that migrates down to ``target``."""
        return tuple(part.replace(TARGET, target) for part in self.down_command)


@dataclass(frozen=True)
class Cutover:
    """Where the application reads its database host: a container app's container and environment variable."""

    api: ContainerAppsApi
    ref: ContainerAppRef
    container: str
    env_var: str
    health_url_of: Callable[[Revision], SecretText]
    guard: TemplateGuard  # the deploy guard: the new revision at 0 %, its health gate, then the traffic


@dataclass(frozen=True)
class Pace:
    """How long a restore may take, how often it is read, and how often the thread hears of it."""

    restore_timeout: timedelta = timedelta(minutes=240)
    poll_seconds: float = 30.0
    progress_every: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class PostgresHandle:
    """The schema kind bound to one PostgreSQL flexible server."""

    api: PostgresApi
    ref: PostgresServerRef
    migrations: MigrationHead | None = None  # the application's migration head (``postgres.migrations``)
    version_table: str = "alembic_version"  # where ``migrations`` reads it, for people
    job: MigrationJob | None = None  # ``postgres.migration_job``: down-migrations run as a job
    cutover: Cutover | None = None  # ``postgres.cutover``: pointing the app at a restored server
    history: Callable[[], Sequence[Release]] | None = None  # the environment's releases, newest first
    pace: Pace = field(default_factory=Pace)
