"""`rollback-bot prune` over SQL: one transaction that removes old records, the audit's included.

The audit triggers refuse DELETE unless the deleting transaction can see a cutoff in ``audit_prune``
newer than the event (migration 0003): this writes one, deletes, and removes it before committing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Engine, Table, delete, exists, func, insert, or_, select
from sqlalchemy.exc import SQLAlchemyError

from bot.adapters.db.engine import describe_db_error
from bot.adapters.db.locks import long_statements
from bot.adapters.db.models import (
    AuditPruneRow,
    AuditRow,
    ChecklistClaimRow,
    ChecklistRunRow,
    DeployRunRow,
    DrillRow,
    RequestRow,
    SignalWatchRow,
)
from bot.domain.retention import Pruned
from bot.domain.rollback_requests import RequestStatus
from bot.errors import StoreError
from bot.ports.store import Retention

_TERMINAL = [s.value for s in RequestStatus if not s.in_flight]


def _table(model: type[object]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


class SqlRetention(Retention):
    """Prunes the bot's own database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def prune(self, cutoff: datetime, *, dry_run: bool = False) -> Pruned:
        try:
            with self._engine.begin() as conn:
                long_statements(conn)  # a year of audit can take longer than the engine's 30 s per statement
                return self._prune(conn, cutoff, dry_run=dry_run)
        except SQLAlchemyError as exc:
            raise StoreError(f"prune failed, nothing was removed: {describe_db_error(exc)}") from exc

    def _prune(self, conn: Connection, cutoff: datetime, *, dry_run: bool) -> Pruned:
        requests, audit, drills = _table(RequestRow), _table(AuditRow), _table(DrillRow)
        old_requests = select(requests.c.id).where(
            requests.c.updated_at < cutoff,
            requests.c.status.in_(_TERMINAL),
            ~exists().where(audit.c.request_id == requests.c.id, audit.c.at >= cutoff),
            ~exists().where(drills.c.request_id == requests.c.id, drills.c.started_at >= cutoff),
        )
        steps: list[tuple[str, Table, ColumnElement[bool]]] = [
            (
                "audit_events",
                audit,
                (audit.c.at < cutoff) & or_(audit.c.request_id.is_(None), audit.c.request_id.in_(old_requests)),
            ),
            ("drills", drills, drills.c.started_at < cutoff),
            ("requests", requests, requests.c.id.in_(old_requests)),
            ("checklist_runs", _table(ChecklistRunRow), _table(ChecklistRunRow).c.at < cutoff),
            ("checklist_claims", _table(ChecklistClaimRow), _table(ChecklistClaimRow).c.fire_time < cutoff),
            ("signal_watches", _table(SignalWatchRow), _table(SignalWatchRow).c.created_at < cutoff),
            (
                "deploy_runs",
                runs := _table(DeployRunRow),
                (runs.c.started_at < cutoff) & runs.c.finished_at.is_not(None),
            ),
        ]
        counts: dict[str, int] = {}
        if dry_run:
            for kind, table, where in steps:
                counts[kind] = int(conn.execute(select(func.count()).select_from(table).where(where)).scalar_one())
            return Pruned(cutoff, **counts)
        grant = _table(AuditPruneRow)
        conn.execute(insert(grant).values(cutoff=cutoff))
        for kind, table, where in steps:
            counts[kind] = conn.execute(delete(table).where(where)).rowcount
        conn.execute(delete(grant))
        return Pruned(cutoff, **counts)
