"""SQL implementations of the drill and checklist logs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.models import ChecklistClaimRow, ChecklistRunRow, DrillRow
from bot.domain.checklist import CheckKey, ChecklistReport, CheckResult, CheckStatus, DrillRecord
from bot.domain.model import RollbackKind, ServiceEnv
from bot.errors import StoreError
from bot.ports.store import ChecklistLog, DrillLog


def _drill(row: DrillRow) -> DrillRecord:
    return DrillRecord(
        target=ServiceEnv(row.service, row.environment),
        kind=RollbackKind(row.kind),
        actor=row.actor,
        started_at=row.started_at,
        phases={k: float(v) for k, v in row.phases.items()},
        verified=row.verified,
        error=row.error,
        request_id=row.request_id,
        id=row.id,
    )


class SqlDrillLog(DrillLog):
    """Drills in the bot's database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def record(self, drill: DrillRecord) -> DrillRecord:
        row = DrillRow(
            service=drill.target.service,
            environment=drill.target.environment,
            kind=drill.kind.value,
            actor=drill.actor,
            request_id=drill.request_id,
            started_at=drill.started_at,
            phases=dict(drill.phases),
            verified=drill.verified,
            passed=drill.passed,
            error=drill.error,
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
        except SQLAlchemyError as exc:
            raise StoreError(f"could not record the drill: {type(exc).__name__}") from exc
        return _drill(row)

    def last_passing(self, target: ServiceEnv) -> DrillRecord | None:
        query = (
            select(DrillRow)
            .where(DrillRow.service == target.service, DrillRow.environment == target.environment, DrillRow.passed)
            .order_by(DrillRow.started_at.desc())
            .limit(1)
        )
        with self._sessions() as session:
            row = session.scalars(query).first()
            return _drill(row) if row else None

    def recent(self, target: ServiceEnv, *, limit: int = 10) -> Sequence[DrillRecord]:
        query = (
            select(DrillRow)
            .where(DrillRow.service == target.service, DrillRow.environment == target.environment)
            .order_by(DrillRow.started_at.desc())
            .limit(limit)
        )
        with self._sessions() as session:
            return [_drill(r) for r in session.scalars(query)]


class SqlChecklistLog(ChecklistLog):
    """Checklist runs and claims in the bot's database."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock

    def record(self, report: ChecklistReport, *, trigger: str) -> int:
        row = ChecklistRunRow(
            service=report.target.service,
            environment=report.target.environment,
            at=report.at,
            trigger=trigger,
            overall=report.overall.value,
            results=[r.to_dict() for r in report.results],
        )
        with self._sessions.begin() as session:
            session.add(row)
        return row.id

    def set_posted(self, run_id: int, *, channel: str, ts: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(ChecklistRunRow).where(ChecklistRunRow.id == run_id).values(posted_channel=channel, posted_ts=ts)
            )

    def latest(self, target: ServiceEnv) -> ChecklistReport | None:
        query = (
            select(ChecklistRunRow)
            .where(ChecklistRunRow.service == target.service, ChecklistRunRow.environment == target.environment)
            .order_by(ChecklistRunRow.at.desc(), ChecklistRunRow.id.desc())
            .limit(1)
        )
        with self._sessions() as session:
            row = session.scalars(query).first()
            if row is None:
                return None
            results = tuple(
                CheckResult(
                    key=CheckKey(r["key"]),
                    status=CheckStatus(r["status"]),
                    summary=r["summary"],
                    evidence=tuple(r.get("evidence", ())),
                    commands=tuple(r.get("commands", ())),
                )
                for r in row.results
            )
            return ChecklistReport(target, row.at, results)

    def claim(self, target: ServiceEnv, *, fire_time: datetime, replica: str) -> bool:
        row = ChecklistClaimRow(
            service=target.service,
            environment=target.environment,
            fire_time=fire_time,
            claimed_by=replica[:64],
            claimed_at=self._clock(),
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            return False
        return True
