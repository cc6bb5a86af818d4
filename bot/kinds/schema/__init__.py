"""The ``schema`` kind: down-migration as a job, point-in-time restore into a NEW server, and the cut-over to it."""

from __future__ import annotations

from bot.domain.kinds import SCHEMA
from bot.domain.readiness import CheckKey
from bot.kinds.base import Kind
from bot.kinds.schema.executor import SchemaRollback
from bot.kinds.schema.handle import Cutover, MigrationJob, Pace, PostgresHandle
from bot.kinds.schema.state import SchemaState, ServerPoint, decode

__all__ = ["KIND", "Cutover", "MigrationJob", "Pace", "PostgresHandle", "SchemaState", "ServerPoint"]


KIND: Kind[PostgresHandle] = Kind(
    name=SCHEMA,
    key="postgres",
    title="PostgreSQL",
    component="PostgreSQL server",
    owns=frozenset({CheckKey.backup}),
    bind=SchemaRollback,
    decode=decode,
)
