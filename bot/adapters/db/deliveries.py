"""DeliveryLog in the bot's SQL database: one row per processed delivery, a primary key per digest."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.models import DeliveryRow
from bot.errors import StoreError
from bot.ports.deliveries import DeliveryLog

SWEEP_EVERY_SECONDS = 60.0


class SqlDeliveryLog(DeliveryLog):
    """INSERT of the key's digest: the primary key refuses a second one; expired rows are swept once a minute."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._swept = -float("inf")
        self._lock = threading.Lock()

    def first_time(self, key: str, *, now: datetime, keep_for: timedelta) -> bool:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        self._sweep(now)
        try:
            with self._sessions.begin() as session:
                existing = session.get(DeliveryRow, digest)
                if existing is not None:
                    if existing.expires_at > now:
                        return False
                    session.delete(existing)
                    session.flush()
                session.add(DeliveryRow(key=digest, seen_at=now, expires_at=now + keep_for))
        except IntegrityError:
            return False  # another thread or replica recorded it first
        except SQLAlchemyError as exc:
            raise StoreError(f"Could not record a Slack delivery: {type(exc).__name__}") from None
        return True

    def _sweep(self, now: datetime) -> None:
        with self._lock:
            if time.monotonic() - self._swept < SWEEP_EVERY_SECONDS:
                return
            self._swept = time.monotonic()
        try:
            with self._sessions.begin() as session:
                session.execute(delete(DeliveryRow).where(DeliveryRow.expires_at <= now))
        except SQLAlchemyError:
            return  # only housekeeping: the next sweep tries again
