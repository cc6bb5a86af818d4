"""``WatchStore`` in the bot's SQL database: one row per request or drill, claimed with a conditional update."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.engine import describe_db_error
from bot.adapters.db.models import SignalWatchRow
from bot.domain.rollback_requests import ServiceEnv
from bot.domain.signals import Dimension, Group
from bot.domain.watches import NewWatch, Watch
from bot.errors import StoreError
from bot.ports.watches import WatchStore


class SqlWatchStore(WatchStore):
    """Signal watches (table ``signal_watches``)."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock

    def schedule(self, new: NewWatch) -> Watch | None:
        subject = {"dimension": new.subject.dimension.value, "scope": new.subject.scope, "value": new.subject.value}
        row = SignalWatchRow(
            service=new.target.service,
            environment=new.target.environment,
            request_id=new.request_id,
            drill_id=new.drill_id,
            subject=subject,
            changed_at=new.changed_at,
            settled_at=new.settled_at,
            after_end=new.after_end,
            min_calls=new.min_calls,
            due_at=new.due_at,
            created_at=self._clock(),
            attempts=0,
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()
                return _watch(row)
        except IntegrityError:
            return None
        except SQLAlchemyError as exc:
            raise StoreError(f"could not schedule the signal watch: {describe_db_error(exc)}") from exc

    def claim_due(
        self, *, now: datetime, replica: str, lease_until: datetime, max_attempts: int, limit: int
    ) -> Sequence[Watch]:
        w = SignalWatchRow
        due = (
            select(w)
            .where(
                w.finished_at.is_(None),
                w.due_at <= now,
                or_(w.lease_until.is_(None), w.lease_until < now),
                w.attempts < max_attempts,
            )
            .order_by(w.due_at)
            .limit(limit)
        )
        with self._sessions() as session:
            candidates = list(session.scalars(due))
        claimed = []
        for row in candidates:
            won = (
                update(w)
                .where(w.id == row.id, w.finished_at.is_(None), w.attempts == row.attempts)
                .values(claimed_by=replica[:64], attempts=row.attempts + 1, lease_until=lease_until)
            )
            with self._sessions.begin() as session:
                if session.execute(won).rowcount == 1:  # type: ignore[attr-defined]
                    row.attempts += 1
                    claimed.append(_watch(row))
        return claimed

    def retry_after(self, watch: Watch, until: datetime, problem: str) -> None:
        self._update(watch, lease_until=until, problem=problem[:2000])

    def finish(
        self, watch: Watch, *, evidence: dict[str, Any] | None, problem: str | None, message_ts: str | None
    ) -> None:
        self._update(
            watch,
            finished_at=self._clock(),
            evidence=evidence,
            problem=problem[:2000] if problem else None,
            message_ts=message_ts,
        )

    def outcome(self, *, request_id: int | None = None, drill_id: int | None = None) -> dict[str, Any] | None:
        w = SignalWatchRow
        key = w.request_id == request_id if request_id is not None else w.drill_id == drill_id
        with self._sessions() as session:
            row = session.scalars(select(w).where(key, w.finished_at.is_not(None))).first()
        if row is None:
            return None
        return {"evidence": row.evidence, "problem": row.problem, "message_ts": row.message_ts}

    def _update(self, watch: Watch, **values: object) -> None:
        with self._sessions.begin() as session:
            session.execute(update(SignalWatchRow).where(SignalWatchRow.id == watch.id).values(**values))


def _watch(row: SignalWatchRow) -> Watch:
    s = row.subject
    return Watch(
        target=ServiceEnv(row.service, row.environment),
        subject=Group(Dimension(s["dimension"]), s["scope"], s["value"]),
        changed_at=row.changed_at,
        settled_at=row.settled_at,
        after_end=row.after_end,
        min_calls=row.min_calls,
        request_id=row.request_id,
        drill_id=row.drill_id,
        id=row.id,
        attempts=row.attempts,
    )
