"""SQL implementation of the release log and its drift-alert claims."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.engine import describe_db_error
from bot.adapters.db.models import DriftAlertRow, ReleaseRow
from bot.domain.releases import NewRelease, Release, ReleaseStatus, layers_from_json, layers_to_json
from bot.domain.rollback_requests import ServiceEnv
from bot.errors import NotFoundError, StoreError
from bot.ports.releases import ReleaseLog


def _release(row: ReleaseRow) -> Release:
    return Release(
        id=row.id,
        target=ServiceEnv(row.service, row.environment),
        recorded_at=row.recorded_at,
        source=row.source,
        actor=row.actor,
        note=row.note,
        status=ReleaseStatus(row.status),
        layers=layers_from_json(row.layers),
        marked_by=row.marked_by,
        marked_at=row.marked_at,
    )


def _of(target: ServiceEnv) -> tuple[ColumnElement[bool], ...]:
    return (ReleaseRow.service == target.service, ReleaseRow.environment == target.environment)


def _alert(target: ServiceEnv, key: str) -> tuple[ColumnElement[bool], ...]:
    a = DriftAlertRow
    return (a.service == target.service, a.environment == target.environment, a.key == key)


class SqlReleaseLog(ReleaseLog):
    """Releases and drift alerts in the bot's database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def record(self, new: NewRelease) -> Release:
        row = ReleaseRow(
            service=new.target.service,
            environment=new.target.environment,
            recorded_at=new.recorded_at,
            source=new.source[:16],
            actor=new.actor[:64],
            note=new.note,
            status=new.status.value,
            layers=layers_to_json(new.layers),
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
        except SQLAlchemyError as exc:
            raise StoreError(f"could not record the release: {describe_db_error(exc)}") from exc
        return _release(row)

    def get(self, target: ServiceEnv, release_id: int) -> Release:
        with self._sessions() as session:
            row = session.get(ReleaseRow, release_id)
            if row is None or (row.service, row.environment) != (target.service, target.environment):
                raise NotFoundError(f"{target} has no release #{release_id}.")
            return _release(row)

    def recent(self, target: ServiceEnv, *, limit: int = 20) -> Sequence[Release]:
        return self._all(select(ReleaseRow).where(*_of(target)).order_by(ReleaseRow.id.desc()).limit(limit))

    def latest(self, target: ServiceEnv, *, status: ReleaseStatus | None = None) -> Release | None:
        query = select(ReleaseRow).where(*_of(target)).order_by(ReleaseRow.id.desc()).limit(1)
        if status is not None:
            query = query.where(ReleaseRow.status == status.value)
        found = self._all(query)
        return found[0] if found else None

    def _all(self, query: Select[ReleaseRow]) -> list[Release]:
        with self._sessions() as session:
            return [_release(r) for r in session.scalars(query)]

    def mark(self, target: ServiceEnv, release_id: int, status: ReleaseStatus, *, actor: str, at: datetime) -> Release:
        statement = (
            update(ReleaseRow)
            .where(ReleaseRow.id == release_id, *_of(target))
            .values(status=status.value, marked_by=actor[:64], marked_at=at)
        )
        with self._sessions.begin() as session:
            changed = session.execute(statement).rowcount  # type: ignore[attr-defined]
        if changed != 1:
            raise NotFoundError(f"{target} has no release #{release_id}.")
        return self.get(target, release_id)

    def claim_drift(
        self,
        target: ServiceEnv,
        key: str,
        *,
        release_id: int,
        summary: str,
        replica: str,
        now: datetime,
        lease: datetime,
    ) -> bool:
        row = DriftAlertRow(
            service=target.service,
            environment=target.environment,
            key=key,
            release_id=release_id,
            summary=summary,
            claimed_by=replica[:64],
            claimed_at=now,
            lease_until=lease,
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
            return True
        except IntegrityError:
            pass
        a = DriftAlertRow
        take_over = (
            update(a)
            .where(*_alert(target, key), a.posted_at.is_(None), a.lease_until < now)
            .values(claimed_by=replica[:64], claimed_at=now, lease_until=lease)
        )
        with self._sessions.begin() as session:
            return bool(session.execute(take_over).rowcount == 1)  # type: ignore[attr-defined]

    def drift_posted(self, target: ServiceEnv, keys: Sequence[str], *, at: datetime, channel: str, ts: str) -> None:
        with self._sessions.begin() as session:
            for key in keys:
                session.execute(
                    update(DriftAlertRow).where(*_alert(target, key)).values(posted_at=at, channel=channel, ts=ts)
                )

    def release_drift(self, target: ServiceEnv, keys: Sequence[str], *, now: datetime) -> None:
        a = DriftAlertRow
        with self._sessions.begin() as session:
            for key in keys:
                session.execute(update(a).where(*_alert(target, key), a.posted_at.is_(None)).values(lease_until=now))
