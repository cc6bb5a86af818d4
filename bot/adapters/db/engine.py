"""Engines and sessions for the bot's database."""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.secrets import SecretText
from bot.errors import StoreError
from bot.ports.store import HealthCheck


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


# Every engine the bot creates is bounded in time, so a sick database fails a call instead of hanging it.
CONNECT_TIMEOUT_SECONDS = 5
STATEMENT_TIMEOUT_MS = 30_000
LOCK_TIMEOUT_MS = 10_000
SQLITE_BUSY_TIMEOUT_SECONDS = 30


def make_engine(url: str | SecretText, **kwargs: Any) -> Engine:
    """Create an engine with connect, statement and lock timeouts (a URL from ``${VAR}`` is revealed only here).

    SQLite gets WAL, a busy timeout and enforced foreign keys. PostgreSQL gets ``connect_timeout`` (unless the
    URL sets one) and, on every new connection, ``statement_timeout`` and ``lock_timeout`` where the server,
    database or role has none of its own (a value set there, or in the URL's ``options``, wins).
    """
    url = normalize_url(url.reveal() if isinstance(url, SecretText) else url)
    if make_url(url).get_backend_name() == "sqlite":
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {} if "connect_timeout" in make_url(url).query else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    event.listen(engine, "connect", _postgres_timeouts)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
    cur.execute("PRAGMA foreign_keys=ON")
    # Another process may hold the write lock of a fresh file (say, migrating it): waiting here could
    # deadlock with it, so SQLite refuses at once. The mode belongs to the file; a later connection sets it.
    with contextlib.suppress(sqlite3.OperationalError):
        cur.execute("PRAGMA journal_mode=WAL")
    cur.close()


def _postgres_timeouts(dbapi_connection: Any, _record: Any) -> None:
    """Bound statements and lock waits on this connection, unless something already does (0 means unbounded)."""
    cur = dbapi_connection.cursor()
    cur.execute("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')")
    statement, lock = cur.fetchone()
    if statement == "0":
        cur.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
    if lock == "0":
        cur.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
    cur.close()
    dbapi_connection.commit()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


class DatabaseHealth(HealthCheck):
    """Readiness: the database answers ``SELECT 1``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def ping(self) -> None:
        try:
            with self._engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise StoreError(f"database unreachable: {describe_db_error(exc)}") from exc


def describe_db_error(exc: SQLAlchemyError) -> str:
    """The error type and the driver's first line: no SQL, parameters or URL (which could hold a secret)."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
