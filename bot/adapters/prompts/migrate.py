"""``prompts init`` and ``prompts uninstall``: the only DDL the bot runs on an application's database.

The registry's Alembic migrations live apart from the bot's, with their own version table per prompts
table (``rollback_bot_prompts_version`` for ``system_prompts``), so they never touch the application's
``alembic_version`` nor the bot's database. Both run under the migration lock, in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from alembic import command
from sqlalchemy import Connection, Engine, MetaData, Table, func, inspect, select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot.adapters.db.engine import describe_db_error
from bot.adapters.db.locks import migration_lock
from bot.adapters.db.migrate import Migrated, newer_schema_message
from bot.adapters.prompts.ddl import GuardDdl
from bot.adapters.prompts.guards import guard_problems
from bot.adapters.prompts.revisions import alembic_config, newer_than_known, prompts_head_revision, revision_on
from bot.adapters.prompts.schema import BOOKKEEPING_TABLE, PromptTableNames
from bot.errors import ConfigError, SchemaError, StoreError

LOCK_NAME = "rollback-bot-prompts"
_INSUFFICIENT_PRIVILEGE = "42501"
T = TypeVar("T")


@dataclass(frozen=True)
class Uninstalled:
    """What ``prompts uninstall`` left: the history table, kept unless asked, and how many rows it holds."""

    history_table: str
    history_rows: int
    history_kept: bool


def prompts_db_revision(engine: Engine, table: str) -> str | None:
    """The registry revision of ``table``'s database, or None when never installed."""
    try:
        with engine.connect() as conn:
            return revision_on(conn, PromptTableNames.of(table))
    except SQLAlchemyError as exc:
        raise StoreError(f"prompts database unreachable: {describe_db_error(exc)}") from exc


def where(conn: Connection) -> str:
    """The database as people name it (backend, database, host; never a password)."""
    url = conn.engine.url
    place = f"{url.get_backend_name()} database {url.database!r}" + (f" on {url.host}" if url.host else "")
    if conn.dialect.name == "postgresql":
        place += f", schema {conn.execute(text('SELECT current_schema()')).scalar()!r}"
    return place


def _locked(engine: Engine, table: str, work: Callable[[Connection, PromptTableNames], T]) -> T:
    """Run ``work`` on an existing prompts table under the migration lock, in one transaction."""
    names = PromptTableNames.of(table)
    try:
        with engine.connect() as conn, migration_lock(conn, LOCK_NAME):
            if not inspect(conn).has_table(names.table):
                raise ConfigError(
                    f"prompts table {names.table!r} not found in {where(conn)}: check `prompts.table` in the "
                    "configuration (the bot never creates the application's table)"
                )
            current = revision_on(conn, names)
            if newer_than_known(current):
                assert current is not None
                raise SchemaError(newer_schema_message(current, prompts_head_revision(), f"the {table} registry"))
            done = work(conn, names)
            conn.commit()
            return done
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == _INSUFFICIENT_PRIVILEGE:
            why = describe_db_error(exc)
            raise StoreError(
                f"prompts init/uninstall on {names.table!r} lacks a privilege: the role must own the table "
                f"(ALTER TABLE, CREATE TRIGGER) and have CREATE on its schema; nothing was changed ({why})"
            ) from exc
        raise StoreError(f"prompts guards on {names.table!r}: {describe_db_error(exc)}; nothing was changed") from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"prompts guards on {names.table!r}: {describe_db_error(exc)}; nothing was changed") from exc


def upgrade_prompts_db(engine: Engine, table: str, revision: str = "head") -> Migrated:
    """``prompts init``: add the guards and the history to the application's existing ``table``.

    Raises:
        ConfigError: the table does not exist (the message names it and the database).
        SchemaError: a newer bot installed the guards.
        StoreError: the table breaks a rule (two active versions, duplicates) or a privilege is missing.
    """

    def run(conn: Connection, names: PromptTableNames) -> Migrated:
        before = revision_on(conn, names)
        damaged = before == prompts_head_revision() and bool(guard_problems(conn, names))
        if damaged:  # say, the application re-created the table: install afresh (the history stays)
            _remove(conn, names, drop_history=False)
        command.upgrade(alembic_config(conn, names.table), revision)
        return Migrated(None if damaged else before, revision_on(conn, names))

    return _locked(engine, table, run)


def downgrade_prompts_db(engine: Engine, table: str, revision: str) -> Migrated:
    """Step the registry of ``table`` down to ``revision`` (``prompts uninstall`` removes it altogether)."""

    def run(conn: Connection, names: PromptTableNames) -> Migrated:
        before = revision_on(conn, names)
        command.downgrade(alembic_config(conn, names.table), revision)
        return Migrated(before, revision_on(conn, names))

    return _locked(engine, table, run)


def uninstall_prompts_db(engine: Engine, table: str, *, drop_history: bool = False) -> Uninstalled:
    """Remove everything ``prompts init`` added to ``table``'s database; the history table too if asked."""

    return _locked(engine, table, lambda conn, names: _remove(conn, names, drop_history=drop_history))


def _remove(conn: Connection, names: PromptTableNames, *, drop_history: bool) -> Uninstalled:
    postgres = conn.dialect.name == "postgresql"
    schema = conn.execute(text("SELECT current_schema()")).scalar() if postgres else None
    ddl = GuardDdl(names, conn.dialect.identifier_preparer.quote, postgres=postgres, schema=schema)
    for statement in ddl.remove():
        conn.execute(text(statement))
    _forget_table(conn, names.table)
    metadata = MetaData()
    Table(names.version_table, metadata).drop(conn, checkfirst=True)
    rows = 0
    if inspect(conn).has_table(names.activations):
        history = Table(names.activations, metadata)
        rows = int(conn.execute(select(func.count()).select_from(history)).scalar_one())
        if drop_history:
            history.drop(conn)  # its index goes with it
    return Uninstalled(names.activations, rows, history_kept=not drop_history)


def _forget_table(conn: Connection, table: str) -> None:
    """The first revision noted which tables it had created; drop the note (and its table when empty)."""
    if not inspect(conn).has_table(BOOKKEEPING_TABLE):
        return
    book = Table(BOOKKEEPING_TABLE, MetaData(), autoload_with=conn)
    conn.execute(book.delete().where(book.c.table_name == table))
    if conn.execute(select(func.count()).select_from(book)).scalar_one() == 0:
        book.drop(conn)
