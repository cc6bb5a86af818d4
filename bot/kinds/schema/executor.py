"""The schema kind: three ways back, each approved on its own — down-migration, restore into a new server, cut-over.

The plan's choice says which (``down:<head>``, ``restore:<ISO time>``, ``cutover:<server>``); without one it is
the down-migration to the last good release's head when a migration job is configured, else a restore to 5 min
before the release that followed the last good one. A schema rollback always needs its own request: a release
rollback lists it and never runs it, and it is never drilled (a drill would create servers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from bot.domain.azure import Backup, PostgresServerState
from bot.domain.facts import Facts, cell
from bot.domain.kinds import SCHEMA
from bot.domain.plan import ChangeEvent, Plan, StepResult, Verification
from bot.domain.readiness import CheckKey
from bot.domain.releases import LayerItem, ReleaseStatus
from bot.errors import UsageError
from bot.kinds.base import BoundKind, CheckInputs, Contribution, KindServices, LiveState, Offer, require_state
from bot.kinds.schema import cutover, down, pitr
from bot.kinds.schema.checks import check_backup
from bot.kinds.schema.handle import Cutover, PostgresHandle
from bot.kinds.schema.options import Options, options
from bot.kinds.schema.restore import restore_command, schema_findings
from bot.kinds.schema.state import CUTOVER, DOWN, RESTORE, SchemaState, migration_item

HEAD_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}")  # a migration head (Alembic: hex, several joined by +)
NEVER_DRILLED = "Schema rollbacks are never drilled: a drill would create servers and migrate the real database."


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


class SchemaRollback(BoundKind[SchemaState]):
    """Down-migration as a job, point-in-time restore into a new server, and the cut-over to it."""

    kind = SCHEMA
    drillable = False
    own_request = True

    def __init__(self, handle: PostgresHandle, services: KindServices) -> None:
        self._h = handle
        self._services = services

    # --- planning ---------------------------------------------------------------------------

    def _head(self) -> str | None:
        return self._h.migrations.head() if self._h.migrations is not None else None

    def plan(self, *, choice: str | None = None) -> Plan[SchemaState]:
        now = self._services.clock()
        offered = options(self._h, self._head() if self._h.job else None, now)
        picked = choice or offered.default
        if picked is None:
            return self._nothing(offered, now)
        if picked.startswith(down.PREFIX):
            return self._plan_down(picked.removeprefix(down.PREFIX), offered)
        if picked.startswith(pitr.PREFIX):
            point = pitr.parse_point(picked.removeprefix(pitr.PREFIX))
            label = offered.label(picked) if picked in {c.value for c in offered.choices} else "the chosen point"
            return pitr.plan_restore(
                self._h.api, self._h.ref, point, label=label, now=now, pace=self._h.pace, choices=offered.choices
            )
        if picked.startswith(cutover.PREFIX):
            if self._h.cutover is None:
                raise UsageError("No cut-over is configured (postgres.cutover: {container, env_var}).")
            new = picked.removeprefix(cutover.PREFIX)
            return cutover.plan_cutover(self._h.cutover, self._h.api, self._h.ref, new, offered.choices)
        raise UsageError(
            f"{picked!r} is not a schema rollback; choose down:<head>, restore:<ISO time> or cutover:<server>."
        )

    def _plan_down(self, target: str, offered: Options) -> Plan[SchemaState]:
        job, migrations = self._h.job, self._h.migrations
        if job is None or migrations is None:
            raise UsageError(
                "A down-migration needs postgres.migration_job and postgres.migrations (where the head is read)."
            )
        if not HEAD_SHAPE.fullmatch(target):
            raise UsageError("Say which migration head to go down to: down:<head> (letters, digits, _ . + -).")
        label = offered.label(down.PREFIX + target)
        return down.plan_down(
            job, migrations, self._h.version_table, target=target, label=label, choices=offered.choices
        )

    def _nothing(self, offered: Options, now: datetime) -> Plan[SchemaState]:
        server = self._h.api.get_server(self._h.ref)
        why = (
            "Choose a way back: a restore to a point before the bad change"
            + (", a down-migration to a release's head" if self._h.job else "")
            + " (no release marked good says which by default)."
        )
        return Plan.blocked(
            SCHEMA,
            why,
            current_text=f"{server.name} ({server.state or 'state not reported'})",
            choices=offered.choices,
            commands=(restore_command(self._h.ref, now),),
            risks=("Writes made after the restore point are not in the new server.",),
        )

    # --- running ----------------------------------------------------------------------------

    def capture(self, plan: Plan[SchemaState]) -> SchemaState:
        current, _ = require_state(plan)
        if current.way == DOWN:
            return SchemaState(DOWN, current.subject, self._head())
        if current.way == RESTORE:
            found = self._h.api.find_server(self._h.ref, current.subject)
            return SchemaState(RESTORE, current.subject, found.state if found else None)
        c = self._cutover()
        return SchemaState(CUTOVER, current.subject, cutover.serving_value(c, c.api.get_app(c.ref)))

    def _cutover(self) -> Cutover:
        if self._h.cutover is None:
            raise UsageError("No cut-over is configured (postgres.cutover) any more; nothing was changed.")
        return self._h.cutover

    def execute(self, plan: Plan[SchemaState]) -> Iterator[StepResult]:
        current, _ = require_state(plan)
        if current.way == DOWN:
            job = self._h.job
            if job is None:
                raise UsageError("postgres.migration_job is no longer configured; nothing was changed.")
            return down.run_down(job, plan, self._h.pace)
        if current.way == RESTORE:
            return pitr.run_restore(self._h.api, self._h.ref, plan, self._h.pace, self._services.clock)
        return cutover.run_cutover(self._cutover(), plan)

    def verify(self, plan: Plan[SchemaState]) -> Verification:
        current, _ = require_state(plan)
        if current.way == DOWN:
            if self._h.migrations is None:
                raise UsageError("postgres.migrations is not configured: the migration head cannot be read.")
            return Verification((down.verify_down(self._h.migrations, plan),))
        if current.way == RESTORE:
            return Verification(pitr.verify_restore(self._h.api, self._h.ref, plan))
        return Verification(cutover.verify_cutover(self._cutover(), self._h.ref, plan))

    def moved_by_others(self, snapshot: SchemaState, desired: SchemaState, live: SchemaState) -> tuple[str, ...]:
        """A restore's new server still being created is this change's own doing (a takeover follows it)."""
        if live.way == RESTORE and live.subject == desired.subject and live.value not in (None, "Ready"):
            return ()
        return super().moved_by_others(snapshot, desired, live)

    def restore(self, snapshot: SchemaState, live: SchemaState) -> Iterator[StepResult]:
        raise UsageError(NEVER_DRILLED)

    def restorable(self, snapshot: SchemaState) -> str | None:
        return NEVER_DRILLED

    # --- reading ----------------------------------------------------------------------------

    def changes(self, *, since: datetime) -> list[ChangeEvent]:
        return []

    def read(self) -> LiveState:
        return ServerLive(self._h.api.get_server(self._h.ref), self._h.api.list_backups(self._h.ref))

    def release_items(self) -> tuple[LayerItem, ...] | None:
        """The application's migration head, when ``postgres.migrations`` is configured (never planned back here)."""
        if self._h.migrations is None:
            return None
        return (migration_item(self._h.migrations.head()),)

    def offer(self) -> Offer:
        ways = ["restore into a new server"]
        if self._h.job is not None:
            ways.insert(0, "down-migration")
        if self._h.cutover is not None:
            ways.append("cut-over")
        return Offer(f"schema: {', '.join(ways)}", "its own request; roll the code back first")

    def contribute(self, key: CheckKey, inputs: CheckInputs) -> Contribution | None:
        if key is CheckKey.rollback_command:
            return schema_findings(self._h.api, self._h.ref, inputs.now)
        if key is CheckKey.backup:
            good = None
            if self._h.history is not None:
                good = next((r for r in self._h.history() if r.status is ReleaseStatus.good), None)
            return check_backup(
                self._h.api,
                self._h.ref,
                inputs.now,
                timedelta(hours=inputs.policy.backup_max_age_hours),
                last_good=good.recorded_at if good else None,
                last_good_label=good.label if good else "",
            )
        return None
