"""Target slots in SQL: one row per service/environment while something may change it.

The row's primary key makes the database refuse a second holder across replicas. Before taking a slot,
a row whose holder is gone is cleared in the same transaction: a process whose lease ran out, or a request
that is no longer in flight (finished by a replica of the previous version, which did not know slots).
"""

from __future__ import annotations

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.dbtime import db_now
from bot.adapters.db.engine import describe_db_error
from bot.adapters.db.models import RequestRow, TargetSlotRow
from bot.domain.rollback_requests import RequestStatus, ServiceEnv
from bot.domain.slots import HolderKind, SlotHolder, busy_message
from bot.errors import LeaseLostError, RollbackInProgressError, StoreError
from bot.ports.store import TargetSlots

_IN_FLIGHT = [s.value for s in RequestStatus if s.in_flight]


def _holder(row: TargetSlotRow) -> SlotHolder:
    return SlotHolder(
        target=ServiceEnv(row.service, row.environment),
        kind=HolderKind(row.holder_kind),
        ref=row.holder_ref,
        who=row.holder_who,
        since=row.since,
        lease_until=row.lease_until,
    )


def _of(target: ServiceEnv) -> tuple[object, ...]:
    return (TargetSlotRow.service == target.service, TargetSlotRow.environment == target.environment)


def take_slot(
    session: Session,
    target: ServiceEnv,
    *,
    kind: HolderKind,
    ref: str,
    who: str,
    request_id: int | None = None,
    lease_seconds: float | None = None,
) -> None:
    """Insert ``target``'s slot row in ``session``'s transaction (IntegrityError when it is held)."""
    s = TargetSlotRow
    finished = select(RequestRow.id).where(RequestRow.status.not_in(_IN_FLIGHT))
    session.execute(
        delete(s).where(
            *_of(target),  # type: ignore[arg-type]
            or_(s.lease_until < db_now(), and_(s.request_id.is_not(None), s.request_id.in_(finished))),
        )
    )
    session.execute(
        insert(s).values(
            service=target.service,
            environment=target.environment,
            holder_kind=kind.value,
            holder_ref=ref[:64],
            holder_who=who[:64],
            request_id=request_id,
            since=db_now(),
            lease_until=db_now(lease_seconds) if lease_seconds is not None else None,
        )
    )


def free_request_slot(session: Session, request_id: int) -> None:
    """Give back the slot a finished request held (in ``session``'s transaction)."""
    session.execute(delete(TargetSlotRow).where(TargetSlotRow.request_id == request_id))


def current_holder(session: Session, target: ServiceEnv) -> SlotHolder | None:
    """Who holds ``target``: its slot row, else a request of a previous-version replica (``in_flight_key``)."""
    row = session.scalars(select(TargetSlotRow).where(*_of(target))).first()  # type: ignore[arg-type]
    if row is not None:
        return _holder(row)
    request = session.scalars(select(RequestRow).where(RequestRow.in_flight_key == str(target))).first()
    if request is None:
        return None
    kind = HolderKind.drill if request.is_drill else HolderKind.rollback
    return SlotHolder(target, kind, str(request.id), request.requester_id, request.created_at)


def refusal(sessions: sessionmaker[Session], target: ServiceEnv) -> RollbackInProgressError:
    """The error for a slot found taken (read after the failed insert; the holder may just have finished)."""
    with sessions() as session:
        holder = current_holder(session, target)
    if holder is None:
        return RollbackInProgressError(f"{target} had a change in flight a moment ago; try again.")
    return RollbackInProgressError(busy_message(holder))


class SqlTargetSlots(TargetSlots):
    """Slots held by processes (deploys, schema restores …) under a lease; requests hold theirs themselves."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def acquire(self, target: ServiceEnv, *, kind: HolderKind, ref: str, who: str, lease_seconds: float) -> SlotHolder:
        try:
            with self._sessions.begin() as session:
                take_slot(session, target, kind=kind, ref=ref, who=who, lease_seconds=lease_seconds)
                holder = current_holder(session, target)
        except IntegrityError:
            raise refusal(self._sessions, target) from None
        except SQLAlchemyError as exc:
            raise StoreError(f"could not take the slot of {target}: {describe_db_error(exc)}") from exc
        assert holder is not None
        return holder

    def renew(self, holder: SlotHolder, *, lease_seconds: float) -> SlotHolder:
        s = TargetSlotRow
        with self._sessions.begin() as session:
            changed = session.execute(
                update(s)
                .where(*_of(holder.target), s.holder_kind == holder.kind.value, s.holder_ref == holder.ref)  # type: ignore[arg-type]
                .values(lease_until=db_now(lease_seconds))
            ).rowcount  # type: ignore[attr-defined]
            now = current_holder(session, holder.target) if changed == 1 else None
        if now is None:
            raise LeaseLostError(f"{holder.target}'s slot is no longer held by {holder.kind.label} {holder.ref}.")
        return now

    def release(self, holder: SlotHolder) -> None:
        s = TargetSlotRow
        with self._sessions.begin() as session:
            session.execute(
                delete(s).where(*_of(holder.target), s.holder_kind == holder.kind.value, s.holder_ref == holder.ref)  # type: ignore[arg-type]
            )

    def holder(self, target: ServiceEnv) -> SlotHolder | None:
        with self._sessions() as session:
            return current_holder(session, target)
