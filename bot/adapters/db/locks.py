"""The migration lock: one process at a time changes a database's schema.

PostgreSQL: a session-level advisory lock (``pg_advisory_lock``) keyed by the lock's name and the
current schema, taken on the connection that runs the migration, so it is released when the migration
ends or when the process dies. A second process waits (up to ``LOCK_WAIT``), then finds the schema
already migrated and does nothing. SQLite has a single writer: ``BEGIN IMMEDIATE`` takes the database's
write lock for the whole migration transaction, and a second process waits on SQLite's busy timeout.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from bot.errors import StoreError

LOCK_WAIT = "600s"
# Engines bound every statement (30 s); a migration may rewrite a big table, so its transaction gets longer.
MIGRATION_STATEMENT_TIMEOUT = "15min"
_KEY = "hashtextextended(CAST(:name AS text) || '@' || coalesce(current_schema(), ''), 0)"


@contextmanager
def migration_lock(conn: Connection, name: str) -> Iterator[None]:
    """Hold the migration lock ``name`` of ``conn``'s database while the block runs on ``conn``.

    On SQLite the block runs inside the write transaction this opens: the caller commits it.

    Raises:
        StoreError: another process held the lock for longer than ``LOCK_WAIT``.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield
        return
    try:
        conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
        conn.execute(text(f"SELECT pg_advisory_lock({_KEY})"), {"name": name})
        conn.commit()  # the session lock outlives this transaction; the SET LOCAL does not
    except OperationalError as exc:
        conn.rollback()
        raise StoreError(
            f"waited {LOCK_WAIT} for another process's migration of this database ({name}); is one stuck?"
        ) from exc
    try:
        long_statements(conn)
        yield
    finally:
        conn.rollback()  # whatever the block left open (a failed migration) ends before the unlock
        conn.execute(text(f"SELECT pg_advisory_unlock({_KEY})"), {"name": name})
        conn.commit()


def long_statements(conn: Connection) -> None:
    """Let the statements of ``conn``'s current transaction run up to ``MIGRATION_STATEMENT_TIMEOUT`` (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET LOCAL statement_timeout = '{MIGRATION_STATEMENT_TIMEOUT}'"))
