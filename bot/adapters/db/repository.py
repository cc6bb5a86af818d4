"""SQL implementations of the store ports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.models import AuditRow, RequestRow
from bot.domain.approval import already_decided
from bot.domain.kinds import KindName
from bot.domain.rollback_requests import AuditEvent, NewRequest, RequestStatus, RollbackRequest, ServiceEnv
from bot.errors import AlreadyDecidedError, NotFoundError, RollbackInProgressError, StoreError
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
    )


class SqlRequestRepository(RequestRepository):
    """Rollback requests in the bot's SQL database."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def add(self, new: NewRequest) -> RollbackRequest:
        now = self._clock()
        row = RequestRow(
            service=new.target.service,
            environment=new.target.environment,
            kind=new.kind,
            status=RequestStatus.pending.value,
            emergency=new.emergency,
            reason=new.reason,
            requester_id=new.requester_id,
            channel_id=new.channel_id,
            plan=new.plan,
            result={},
            in_flight_key=str(new.target),
            created_at=now,
            updated_at=now,
            expires_at=new.expires_at,
            version=1,
            is_drill=new.is_drill,
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            holder = self.find_in_flight(new.target)
            ref = f" (request #{holder.id}, {holder.status.value})" if holder else ""
            raise RollbackInProgressError(
                f"A rollback for {new.target} is already in flight{ref}; finish or cancel it first."
            ) from None
        except SQLAlchemyError as exc:
            raise StoreError(f"could not store the request: {type(exc).__name__}") from exc
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
        values: dict[str, Any] = {"status": to_status.value, "version": version + 1, "updated_at": self._clock()}
        if not to_status.in_flight:
            values["in_flight_key"] = None
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
        except SQLAlchemyError as exc:
            raise StoreError(f"could not update request #{request_id}: {type(exc).__name__}") from exc
        if changed != 1:
            raise AlreadyDecidedError(already_decided(self.get(request_id)))
        return self.get(request_id)

    def touch(self, request_id: int) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(RequestRow)
                .where(RequestRow.id == request_id, RequestRow.status == RequestStatus.executing.value)
                .values(updated_at=self._clock())
            )

    def set_message(self, request_id: int, message_ts: str) -> None:
        with self._sessions.begin() as session:
            session.execute(update(RequestRow).where(RequestRow.id == request_id).values(message_ts=message_ts))

    def list_by_status(self, statuses: Sequence[RequestStatus]) -> Sequence[RollbackRequest]:
        query = select(RequestRow).where(RequestRow.status.in_([s.value for s in statuses])).order_by(RequestRow.id)
        with self._sessions() as session:
            return [to_domain(r) for r in session.scalars(query)]

    def find_in_flight(self, target: ServiceEnv) -> RollbackRequest | None:
        with self._sessions() as session:
            row = session.scalars(select(RequestRow).where(RequestRow.in_flight_key == str(target))).first()
            return to_domain(row) if row else None

    def list_recent(self, *, target: ServiceEnv | None = None, limit: int = 20) -> Sequence[RollbackRequest]:
        query = select(RequestRow).order_by(RequestRow.id.desc()).limit(limit)
        if target is not None:
            query = query.where(RequestRow.service == target.service, RequestRow.environment == target.environment)
        with self._sessions() as session:
            return [to_domain(r) for r in session.scalars(query)]


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
