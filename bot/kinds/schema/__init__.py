"""The ``schema`` kind: planned only, the exact point-in-time restore command into a NEW server."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.azure import PostgresServerRef
from bot.domain.kinds import SCHEMA
from bot.domain.readiness import CheckKey
from bot.kinds.base import Kind
from bot.kinds.schema.executor import PointInTimeRestore
from bot.kinds.schema.state import ServerPoint
from bot.ports.azure import PostgresApi
from bot.ports.migrations import MigrationHead

__all__ = ["KIND", "PostgresHandle", "ServerPoint"]


@dataclass(frozen=True)
class PostgresHandle:
    """The schema kind bound to one PostgreSQL flexible server."""

    api: PostgresApi
    ref: PostgresServerRef
    migrations: MigrationHead | None = None  # the application's migration head (``postgres.migrations``)


KIND: Kind[PostgresHandle] = Kind(
    name=SCHEMA,
    key="postgres",
    title="PostgreSQL",
    component="PostgreSQL server",
    owns=frozenset({CheckKey.backup}),
    bind=lambda handle, services: PointInTimeRestore(handle.api, handle.ref, services, handle.migrations),
    decode=ServerPoint.from_json,
)
