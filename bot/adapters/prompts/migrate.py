"""The prompt registry's own Alembic migrations, run programmatically against an application's database.

They live apart from the bot's migrations, with their own version table per prompts table
(``rollback_bot_prompts_version`` for ``system_prompts``), so they never touch the application's
``alembic_version`` nor the bot's database.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, Table
from sqlalchemy.exc import SQLAlchemyError

from bot.adapters.prompts.schema import PromptTableNames, describe
from bot.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine, table: str) -> Config:
    """An Alembic config bound to ``engine`` and the prompts table ``table`` (env.py reads both)."""
    names = PromptTableNames.of(table)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    cfg.attributes["table"] = names.table
    cfg.attributes["version_table"] = names.version_table
    return cfg


def upgrade_prompts_db(engine: Engine, table: str, revision: str = "head") -> None:
    """Add the registry's guards and history to ``table`` (creating the table when absent).

    Raises:
        StoreError: the migration failed, or the existing table breaks a rule (message names the rows).
    """
    try:
        command.upgrade(alembic_config(engine, table), revision)
    except SQLAlchemyError as exc:
        raise StoreError(f"prompts migration of {table!r} failed: {describe(exc)}") from exc


def downgrade_prompts_db(engine: Engine, table: str, revision: str = "base") -> None:
    """Remove what the registry added; the prompts table itself only when the bot had created it.

    Raises:
        StoreError: the migration failed.
    """
    try:
        command.downgrade(alembic_config(engine, table), revision)
        if revision == "base":
            _drop_version_table(engine, PromptTableNames.of(table).version_table)
    except SQLAlchemyError as exc:
        raise StoreError(f"prompts migration of {table!r} failed: {describe(exc)}") from exc


def _drop_version_table(engine: Engine, version_table: str) -> None:
    """Alembic leaves its (now empty) version table behind; the registry leaves nothing."""
    with engine.begin() as conn:
        Table(version_table, MetaData()).drop(conn, checkfirst=True)


def prompts_db_revision(engine: Engine, table: str) -> str | None:
    """The registry revision of ``table``'s database, or None when never migrated."""
    opts = {"version_table": PromptTableNames.of(table).version_table}
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn, opts=opts).get_current_revision()
    except SQLAlchemyError as exc:
        raise StoreError(f"prompts database unreachable: {describe(exc)}") from exc


def prompts_head_revision() -> str | None:
    """The newest registry revision shipped with this version of the bot."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()
