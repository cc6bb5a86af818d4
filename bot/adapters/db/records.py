"""SQL implementations of the drill and checklist logs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.models import ChecklistClaimRow, ChecklistPostSlotRow, ChecklistRunRow, DrillRow
from bot.domain.kinds import KindName
from bot.domain.readiness import CheckKey, ChecklistClaim, ChecklistReport, CheckResult, CheckStatus, DrillRecord
from bot.domain.rollback_requests import ServiceEnv
from bot.errors import StoreError
from bot.ports.store import ChecklistLog, DrillLog


def _drill(row: DrillRow) -> DrillRecord:
    return DrillRecord(
        target=ServiceEnv(row.service, row.environment),
        kind=KindName(row.kind),
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
            kind=drill.kind,
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
            return _report(row) if row else None

    def report(self, run_id: int) -> ChecklistReport | None:
        with self._sessions() as session:
            row = session.get(ChecklistRunRow, run_id)
            return _report(row) if row else None

    def claim(
        self, target: ServiceEnv, *, fire_time: datetime, replica: str, lease_until: datetime, attempts: int = 1
    ) -> ChecklistClaim | None:
        row = ChecklistClaimRow(
            service=target.service,
            environment=target.environment,
            fire_time=fire_time,
            claimed_by=replica[:64],
            claimed_at=self._clock(),
            attempts=attempts,
            lease_until=lease_until,
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            return None
        return ChecklistClaim(target, fire_time, attempts=attempts)

    def take_over(
        self, *, now: datetime, replica: str, lease_until: datetime, max_attempts: int, since: datetime, limit: int
    ) -> Sequence[ChecklistClaim]:
        c = ChecklistClaimRow
        due = (
            select(c)
            .where(c.posted_at.is_(None), c.lease_until < now, c.attempts < max_attempts, c.fire_time > since)
            .order_by(c.fire_time)
            .limit(limit)
        )
        with self._sessions() as session:
            candidates = list(session.scalars(due))
        taken = []
        for row in candidates:
            same = _claim_key(ServiceEnv(row.service, row.environment), row.fire_time)
            won = (
                update(c)
                .where(*same, c.posted_at.is_(None), c.lease_until == row.lease_until)
                .values(claimed_by=replica[:64], attempts=row.attempts + 1, lease_until=lease_until)
            )
            with self._sessions.begin() as session:
                if session.execute(won).rowcount == 1:  # type: ignore[attr-defined]
                    target = ServiceEnv(row.service, row.environment)
                    taken.append(ChecklistClaim(target, row.fire_time, row.attempts + 1, row.run_id))
        return taken

    def claim_ran(self, claim: ChecklistClaim, run_id: int) -> ChecklistClaim:
        self._update_claim(claim, run_id=run_id)
        return replace(claim, run_id=run_id)

    def extend_lease(self, claim: ChecklistClaim, until: datetime) -> None:
        self._update_claim(claim, lease_until=until)

    def claim_posted(self, claim: ChecklistClaim) -> None:
        self._update_claim(claim, posted_at=self._clock())

    def reserve_post_slot(self, channel: str, *, now: datetime, interval: timedelta) -> datetime:
        slots = ChecklistPostSlotRow
        with self._sessions.begin() as session:  # the insert takes the write lock first (SQLite), or the row's
            insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgres_insert
            session.execute(insert(slots).values(channel=channel, next_slot=now).on_conflict_do_nothing())
            row = session.scalars(select(slots).where(slots.channel == channel).with_for_update()).one()
            slot = max(row.next_slot, now)
            row.next_slot = slot + interval
        return slot

    def _update_claim(self, claim: ChecklistClaim, **values: object) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(ChecklistClaimRow).where(*_claim_key(claim.target, claim.fire_time)).values(**values)
            )


def _claim_key(target: ServiceEnv, fire_time: datetime) -> tuple[ColumnElement[bool], ...]:
    c = ChecklistClaimRow
    return (c.service == target.service, c.environment == target.environment, c.fire_time == fire_time)


def _report(row: ChecklistRunRow) -> ChecklistReport:
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
    return ChecklistReport(ServiceEnv(row.service, row.environment), row.at, results)
