"""Schema rollback, planned only: the exact point-in-time restore command; a person runs it and switches over."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from bot.domain.azure import Backup, PostgresServerRef, PostgresServerState
from bot.domain.facts import Facts, cell
from bot.domain.kinds import SCHEMA
from bot.domain.plan import ChangeEvent, Plan, StepResult, Verification
from bot.domain.readiness import CheckKey
from bot.domain.releases import LayerItem
from bot.errors import UsageError
from bot.kinds.base import BoundKind, CheckInputs, Contribution, KindServices, LiveState
from bot.kinds.schema.checks import check_backup
from bot.kinds.schema.restore import restore_command, schema_findings
from bot.kinds.schema.state import ServerPoint, migration_item
from bot.ports.azure import PostgresApi
from bot.ports.migrations import MigrationHead

PLANNED_ONLY = (
    "Schema rollbacks are planned only: roll the application's code back first, then run the restore command "
    "(it creates a NEW server) and switch the application over by hand."
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class ServerLive(LiveState):
    """The server, its earliest restore point and its backups."""

    def __init__(self, server: PostgresServerState, backups: list[Backup]) -> None:
        self.server = server
        self.backups = backups

    def facts(self) -> Facts:
        s = self.server
        return Facts(
            title="PostgreSQL",
            headline=f"{s.name} ({cell(s.state)}, earliest restore {cell(_iso(s.earliest_restore_date))})",
            columns=("BACKUP", "COMPLETED", "TYPE"),
            rows=tuple((b.name, cell(_iso(b.completed_time)), cell(b.type)) for b in self.backups),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "server": self.server.name,
            "state": self.server.state,
            "earliest_restore_date": _iso(self.server.earliest_restore_date),
            "backups": [
                {"name": b.name, "completed_time": _iso(b.completed_time), "type": b.type} for b in self.backups
            ],
        }


class PointInTimeRestore(BoundKind[ServerPoint]):
    """Plans a point-in-time restore of the application's database into a new server."""

    kind = SCHEMA
    executes = False

    def __init__(
        self, api: PostgresApi, ref: PostgresServerRef, services: KindServices, migrations: MigrationHead | None = None
    ) -> None:
        self._api = api
        self._ref = ref
        self._clock = services.clock
        self._migrations = migrations

    def _point(self) -> ServerPoint:
        server = self._api.get_server(self._ref)
        return ServerPoint(server.name, server.state, _iso(server.earliest_restore_date))

    def plan(self, *, choice: str | None = None) -> Plan[ServerPoint]:
        point = self._point()
        now = self._clock()
        return Plan.blocked(
            self.kind,
            PLANNED_ONLY,
            current=point,
            current_text=f"{point.server} ({point.state or 'state not reported'})",
            desired_text=f"a new server restored to {now:%Y-%m-%d %H:%M} UTC",
            commands=(restore_command(self._ref, now),),
            risks=("Writes made after the restore point are not in the new server.",),
        )

    def capture(self, plan: Plan[ServerPoint]) -> ServerPoint:
        return self._point()

    def execute(self, plan: Plan[ServerPoint]) -> Iterator[StepResult]:
        raise UsageError(PLANNED_ONLY)

    def verify(self, plan: Plan[ServerPoint]) -> Verification:
        raise UsageError(PLANNED_ONLY)

    def restore(self, snapshot: ServerPoint, live: ServerPoint) -> Iterator[StepResult]:
        raise UsageError(PLANNED_ONLY)

    def restorable(self, snapshot: ServerPoint) -> str | None:
        return PLANNED_ONLY

    def changes(self, *, since: datetime) -> list[ChangeEvent]:
        return []

    def read(self) -> LiveState:
        return ServerLive(self._api.get_server(self._ref), self._api.list_backups(self._ref))

    def release_items(self) -> tuple[LayerItem, ...] | None:
        """The application's migration head, when ``postgres.migrations`` is configured (never planned back here)."""
        if self._migrations is None:
            return None
        return (migration_item(self._migrations.head()),)

    def contribute(self, key: CheckKey, inputs: CheckInputs) -> Contribution | None:
        if key is CheckKey.rollback_command:
            return schema_findings(self._api, self._ref, inputs.now)
        if key is CheckKey.backup:
            return check_backup(self._api, self._ref, inputs.now, timedelta(hours=inputs.policy.backup_max_age_hours))
        return None
