"""Alembic migrations shipped inside the package, run programmatically (no alembic.ini needed).

Every migration runs under the migration lock (``locks.migration_lock``), in one transaction on the
connection that holds it: replicas starting at once migrate once, and the others find the schema done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.adapters.db.engine import describe_db_error
from bot.adapters.db.locks import migration_lock
from bot.errors import SchemaError, SchemaTooNewError, StoreError, UsageError

MIGRATIONS = Path(__file__).with_name("migrations")
LOCK_NAME = "rollback-bot"
UPGRADE_HINT = "run `rollback-bot db upgrade`"


@dataclass(frozen=True)
class Migrated:
    """What a migration did: the revision before and after (equal when there was nothing to do)."""

    before: str | None
    after: str | None

    @property
    def ran(self) -> bool:
        """True when this call changed the schema."""
        return self.before != self.after


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config; env.py runs on ``connection`` (which holds the migration lock)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision(engine: Engine | None = None) -> str | None:
    """The newest revision shipped with this version of the bot (``engine`` is not used; kept for callers)."""
    return _scripts().get_current_head()


def known_revisions() -> set[str]:
    """Every revision this version of the bot ships."""
    return {script.revision for script in _scripts().walk_revisions()}


def newer_schema_message(current: str, head: str | None, what: str = "database") -> str:
    """The one line for a schema newer than this bot knows."""
    return f"{what} is at revision {current}, this bot knows up to {head or 'none'}; upgrade the bot"


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    try:
        with engine.connect() as conn:
            return _revision(conn)
    except SQLAlchemyError as exc:
        raise StoreError(f"database unreachable: {describe_db_error(exc)}") from exc


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _refuse_unknown(current: str | None) -> None:
    if current is not None and current not in known_revisions():
        raise SchemaTooNewError(newer_schema_message(current, head_revision()))


def require_head(engine: Engine) -> str:
    """Return the head revision when the database is at it; otherwise say in one line what to do.

    Raises:
        SchemaError: not migrated (run ``rollback-bot db upgrade``) or behind.
        SchemaTooNewError: newer than this bot.
        StoreError: the database is unreachable.
    """
    current, head = current_revision(engine), head_revision()
    if current == head and head is not None:
        return head
    if current is None:
        raise SchemaError(f"the database has no rollback-bot schema yet: {UPGRADE_HINT}")
    _refuse_unknown(current)
    raise SchemaError(f"the database is at revision {current}, this bot needs {head}: {UPGRADE_HINT}")


def upgrade(engine: Engine, revision: str = "head") -> Migrated:
    """Migrate the database up to ``revision`` under the migration lock.

    Raises:
        SchemaTooNewError: the database is at a revision this bot does not know (a newer bot migrated it).
        UsageError: ``revision`` is not a revision of this bot.
        StoreError: the migration failed (nothing changed: it runs in one transaction).
    """
    return _run(engine, lambda cfg: command.upgrade(cfg, revision))


def downgrade(engine: Engine, revision: str) -> Migrated:
    """Migrate the database down to ``revision`` (``base`` removes everything) under the migration lock."""
    return _run(engine, lambda cfg: command.downgrade(cfg, revision))


def _run(engine: Engine, step: Callable[[Config], None]) -> Migrated:
    try:
        with engine.connect() as conn, migration_lock(conn, LOCK_NAME):
            before = _revision(conn)
            _refuse_unknown(before)
            step(alembic_config(conn))
            after = _revision(conn)
            conn.commit()
    except CommandError as exc:
        raise UsageError(f"database migration: {exc}") from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"database migration failed: {describe_db_error(exc)}") from exc
    return Migrated(before, after)
