"""The ``schema`` kind: planned only, the exact point-in-time restore command into a NEW server."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.azure import PostgresServerRef
from bot.domain.kinds import SCHEMA
from bot.domain.readiness import CheckKey
from bot.kinds.base import BoundKind, Kind, KindServices
from bot.kinds.schema.executor import PointInTimeRestore
from bot.kinds.schema.state import ServerPoint
from bot.ports.azure import PostgresApi

__all__ = ["KIND", "PostgresHandle", "SchemaKind", "ServerPoint"]


@dataclass(frozen=True)
class PostgresHandle:
    """The schema kind bound to one PostgreSQL flexible server."""

    api: PostgresApi
    ref: PostgresServerRef


class SchemaKind(Kind[PostgresHandle]):
    """Database migrations: a point-in-time restore, planned."""

    name = SCHEMA
    key = "postgres"
    title = "PostgreSQL"
    component = "PostgreSQL server"
    owns = frozenset({CheckKey.backup})

    def bind(self, handle: PostgresHandle, services: KindServices) -> BoundKind[Any]:
        return PointInTimeRestore(handle.api, handle.ref, services)

    def decode_state(self, data: Mapping[str, Any]) -> ServerPoint:
        return ServerPoint.from_json(data)


KIND = SchemaKind()
