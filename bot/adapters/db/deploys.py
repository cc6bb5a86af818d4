"""Deploy freezes and deploy runs in SQL, on the database's clock."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.dbtime import db_now
from bot.adapters.db.models import DeployFreezeRow, DeployRunRow
from bot.domain.freeze import Freeze
from bot.domain.rollback_requests import ServiceEnv
from bot.errors import NotFoundError
from bot.ports.deploys import DeployRun, DeployRuns, FreezeStore


def _freeze(row: DeployFreezeRow) -> Freeze:
    return Freeze(ServiceEnv(row.service, row.environment), row.who, row.reason, row.since, row.until)


def _of(target: ServiceEnv) -> tuple[object, ...]:
    return (DeployFreezeRow.service == target.service, DeployFreezeRow.environment == target.environment)


class SqlFreezeStore(FreezeStore):
    """One row per frozen target; a row whose ``until`` has passed is ignored, and replaced by the next freeze."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def freeze(self, target: ServiceEnv, *, who: str, reason: str, seconds: float) -> Freeze:
        f = DeployFreezeRow
        with self._sessions.begin() as session:
            session.execute(delete(f).where(*_of(target)))  # type: ignore[arg-type]
            session.execute(
                insert(f).values(
                    service=target.service,
                    environment=target.environment,
                    who=who[:64],
                    reason=reason,
                    since=db_now(),
                    until=db_now(seconds),
                )
            )
            row = session.scalars(select(f).where(*_of(target))).one()  # type: ignore[arg-type]
            return _freeze(row)

    def unfreeze(self, target: ServiceEnv) -> Freeze | None:
        with self._sessions.begin() as session:
            found = self._active(session, target)
            session.execute(delete(DeployFreezeRow).where(*_of(target)))  # type: ignore[arg-type]
            return found

    def active(self, target: ServiceEnv) -> Freeze | None:
        with self._sessions() as session:
            return self._active(session, target)

    def all_active(self) -> Sequence[Freeze]:
        with self._sessions() as session:
            rows = session.scalars(select(DeployFreezeRow).where(DeployFreezeRow.until > db_now())).all()
            return [_freeze(r) for r in rows]

    @staticmethod
    def _active(session: Session, target: ServiceEnv) -> Freeze | None:
        row = session.scalars(
            select(DeployFreezeRow).where(*_of(target), DeployFreezeRow.until > db_now())  # type: ignore[arg-type]
        ).first()
        return _freeze(row) if row is not None else None


def _run(row: DeployRunRow) -> DeployRun:
    return DeployRun(
        id=row.id,
        target=ServiceEnv(row.service, row.environment),
        revision=row.revision,
        change=row.change,
        actor=row.actor,
        started_at=row.started_at,
        finished_at=row.finished_at,
        outcome=row.outcome,
        channel=row.channel,
        message_ts=row.message_ts,
        abort_by=row.abort_by,
        abort_at=row.abort_at,
    )


class SqlDeployRuns(DeployRuns):
    """Deploy runs; the abort flag is a conditional update, so the first person who asks is the one recorded."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def start(self, target: ServiceEnv, *, revision: str, change: str, actor: str) -> DeployRun:
        with self._sessions.begin() as session:
            run_id = session.execute(
                insert(DeployRunRow)
                .values(
                    service=target.service,
                    environment=target.environment,
                    revision=revision[:128],
                    change=change,
                    actor=actor[:64],
                    started_at=db_now(),
                )
                .returning(DeployRunRow.id)
            ).scalar_one()
        return self.get(run_id)

    def set_message(self, run_id: int, *, channel: str, ts: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(DeployRunRow).where(DeployRunRow.id == run_id).values(channel=channel, message_ts=ts)
            )

    def request_abort(self, run_id: int, *, who: str) -> DeployRun:
        r = DeployRunRow
        with self._sessions.begin() as session:
            session.execute(
                update(r)
                .where(r.id == run_id, r.abort_by.is_(None), r.finished_at.is_(None))
                .values(abort_by=who[:64], abort_at=db_now())
            )
        return self.get(run_id)

    def get(self, run_id: int) -> DeployRun:
        with self._sessions() as session:
            row = session.get(DeployRunRow, run_id)
            if row is None:
                raise NotFoundError(f"There is no deploy #{run_id}.")
            return _run(row)

    def finish(self, run_id: int, *, outcome: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(DeployRunRow).where(DeployRunRow.id == run_id).values(outcome=outcome[:32], finished_at=db_now())
            )
