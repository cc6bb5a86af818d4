"""SQL implementations of the store ports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.dbtime import db_now
from bot.adapters.db.engine import describe_db_error
from bot.adapters.db.models import AuditRow, RequestRow
from bot.adapters.db.slots import current_holder, free_request_slot, refusal, take_slot
from bot.domain.approval import already_decided
from bot.domain.kinds import KindName
from bot.domain.rollback_requests import AuditEvent, NewRequest, RequestStatus, RollbackRequest, ServiceEnv
from bot.domain.slots import HolderKind
from bot.errors import AlreadyDecidedError, NotFoundError, StoreError
from bot.ports.store import AuditLog, RequestRepository

Clock = Callable[[], datetime]


def to_domain(row: RequestRow) -> RollbackRequest:
    """Map a row to the domain value."""
    return RollbackRequest(
        id=row.id,
        target=ServiceEnv(row.service, row.environment),
        kind=KindName(row.kind),
        status=RequestStatus(row.status),
        requester_id=row.requester_id,
        channel_id=row.channel_id,
        emergency=row.emergency,
        reason=row.reason,
        plan=dict(row.plan),
        created_at=row.created_at,
        expires_at=row.expires_at,
        version=row.version,
        approver_id=row.approver_id,
        message_ts=row.message_ts,
        decided_at=row.decided_at,
        result=dict(row.result),
        is_drill=bool(row.is_drill),
        updated_at=row.updated_at,
        lease_owner=row.lease_owner,
        lease_until=row.lease_until,
        claims=row.claims or 0,
    )


class SqlRequestRepository(RequestRepository):
    """Rollback requests in the bot's SQL database; every decisive time is the database's (``db_now``)."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock  # not used for decisions; kept for callers that pass the bot's clock

    def now(self) -> datetime:
        with self._sessions() as session:
            now: datetime = session.execute(select(db_now())).scalar_one()
            return now

    def add(self, new: NewRequest, *, claim: tuple[str, float] | None = None) -> RollbackRequest:
        approved = new.status is RequestStatus.approved
        lease: dict[str, Any] = {}
        if claim is not None and approved:
            lease = {"status": RequestStatus.executing.value, "lease_owner": claim[0][:64]}
            lease |= {"lease_until": db_now(claim[1]), "claims": 1, "version": 2}
        row = RequestRow(
            service=new.target.service,
            environment=new.target.environment,
            kind=new.kind,
            status=new.status.value,
            emergency=new.emergency,
            reason=new.reason,
            requester_id=new.requester_id,
            channel_id=new.channel_id,
            plan=new.plan,
            result={},
            in_flight_key=str(new.target),
            created_at=db_now(),
            updated_at=db_now(),
            expires_at=db_now(new.ttl.total_seconds()),
            decided_at=db_now() if approved else None,
            version=1,
            is_drill=new.is_drill,
            claims=0,
        )
        for name, value in lease.items():
            setattr(row, name, value)
        kind = HolderKind.drill if new.is_drill else HolderKind.rollback
        try:
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()
                take_slot(session, new.target, kind=kind, ref=str(row.id), who=new.requester_id, request_id=row.id)
                session.refresh(row)
        except IntegrityError:
            raise refusal(self._sessions, new.target) from None
        except SQLAlchemyError as exc:
            raise StoreError(f"could not store the request: {describe_db_error(exc)}") from exc
        return to_domain(row)

    def get(self, request_id: int) -> RollbackRequest:
        with self._sessions() as session:
            row = session.get(RequestRow, request_id)
            if row is None:
                raise NotFoundError(f"There is no rollback request #{request_id}.")
            return to_domain(row)

    def transition(
        self,
        request_id: int,
        *,
        from_status: RequestStatus,
        to_status: RequestStatus,
        version: int,
        approver_id: str | None = None,
        decided_at: datetime | None = None,
        result: dict[str, Any] | None = None,
    ) -> RollbackRequest:
        values: dict[str, Any] = {"status": to_status.value, "version": version + 1, "updated_at": db_now()}
        if not to_status.in_flight:
            values |= {"in_flight_key": None, "lease_owner": None, "lease_until": None}
        if approver_id is not None:
            values["approver_id"] = approver_id
        if decided_at is not None:
            values["decided_at"] = decided_at
        if result is not None:
            values["result"] = result
        statement = (
            update(RequestRow)
            .where(RequestRow.id == request_id, RequestRow.status == from_status.value, RequestRow.version == version)
            .values(**values)
        )
        try:
            with self._sessions.begin() as session:
                changed = session.execute(statement).rowcount  # type: ignore[attr-defined]
                if changed == 1 and not to_status.in_flight:
                    free_request_slot(session, request_id)
        except SQLAlchemyError as exc:
            raise StoreError(f"could not update request #{request_id}: {describe_db_error(exc)}") from exc
        if changed != 1:
            raise AlreadyDecidedError(already_decided(self.get(request_id)))
        return self.get(request_id)

    def claim(self, request_id: int, *, replica: str, lease_seconds: float) -> RollbackRequest | None:
        r = RequestRow
        statement = (
            update(r)
            .where(r.id == request_id, _claimable())
            .values(
                status=RequestStatus.executing.value,
                lease_owner=replica[:64],
                lease_until=db_now(lease_seconds),
                claims=r.claims + 1,
                version=r.version + 1,
                updated_at=db_now(),
            )
        )
        try:
            with self._sessions.begin() as session:
                won = session.execute(statement).rowcount == 1  # type: ignore[attr-defined]
        except SQLAlchemyError as exc:
            raise StoreError(f"could not claim request #{request_id}: {describe_db_error(exc)}") from exc
        return self.get(request_id) if won else None

    def claimable(self, *, limit: int = 20) -> Sequence[int]:
        query = select(RequestRow.id).where(_claimable()).order_by(RequestRow.id).limit(limit)
        with self._sessions() as session:
            return list(session.scalars(query))

    def renew(self, request_id: int, *, replica: str, lease_seconds: float) -> bool:
        return self._lease_update(request_id, replica, lease_until=db_now(lease_seconds), updated_at=db_now())

    def release(self, request_id: int, *, replica: str) -> bool:
        return self._lease_update(request_id, replica, lease_owner=None, lease_until=None)

    def _lease_update(self, request_id: int, replica: str, **values: Any) -> bool:
        r = RequestRow
        statement = (
            update(r)
            .where(r.id == request_id, r.status == RequestStatus.executing.value, r.lease_owner == replica[:64])
            .values(**values)
        )
        try:
            with self._sessions.begin() as session:
                return bool(session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]
        except SQLAlchemyError as exc:
            raise StoreError(f"could not update the lease of request #{request_id}: {describe_db_error(exc)}") from exc

    def set_message(self, request_id: int, message_ts: str) -> None:
        with self._sessions.begin() as session:
            session.execute(update(RequestRow).where(RequestRow.id == request_id).values(message_ts=message_ts))

    def list_by_status(self, statuses: Sequence[RequestStatus]) -> Sequence[RollbackRequest]:
        query = select(RequestRow).where(RequestRow.status.in_([s.value for s in statuses])).order_by(RequestRow.id)
        with self._sessions() as session:
            return [to_domain(r) for r in session.scalars(query)]

    def find_in_flight(self, target: ServiceEnv) -> RollbackRequest | None:
        with self._sessions() as session:
            holder = current_holder(session, target)
            row = session.get(RequestRow, holder.request_id) if holder and holder.request_id is not None else None
            return to_domain(row) if row is not None and RequestStatus(row.status).in_flight else None

    def list_recent(self, *, target: ServiceEnv | None = None, limit: int = 20) -> Sequence[RollbackRequest]:
        query = select(RequestRow).order_by(RequestRow.id.desc()).limit(limit)
        if target is not None:
            query = query.where(RequestRow.service == target.service, RequestRow.environment == target.environment)
        with self._sessions() as session:
            return [to_domain(r) for r in session.scalars(query)]


def _claimable() -> ColumnElement[bool]:
    """Approved and not claimed yet, or executing under a lease that ran out (or was handed over)."""
    r = RequestRow
    expired = or_(r.lease_owner.is_(None), r.lease_until.is_(None), r.lease_until < db_now())
    return or_(r.status == RequestStatus.approved.value, and_(r.status == RequestStatus.executing.value, expired))


class SqlAuditLog(AuditLog):
    """The append-only audit table."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def append(self, event: AuditEvent) -> None:
        row = AuditRow(
            request_id=event.request_id,
            at=event.at,
            actor=event.actor,
            event=event.event,
            detail=event.detail,
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
        except SQLAlchemyError as exc:
            raise StoreError(f"could not write the audit log: {type(exc).__name__}") from exc

    def list(self, *, request_id: int | None = None, limit: int = 100) -> Sequence[AuditEvent]:
        query = select(AuditRow).order_by(AuditRow.id).limit(limit)
        if request_id is not None:
            query = query.where(AuditRow.request_id == request_id)
        with self._sessions() as session:
            return [AuditEvent(r.event, r.actor, r.at, r.request_id, dict(r.detail)) for r in session.scalars(query)]
