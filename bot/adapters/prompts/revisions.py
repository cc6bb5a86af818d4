"""The prompt registry's Alembic scripts and the revision a prompts table's database is at (read-only)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from bot.adapters.prompts.schema import PromptTableNames

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None, table: str) -> Config:
    """An Alembic config for the prompts table ``table``, run on ``connection`` (env.py reads both)."""
    names = PromptTableNames.of(table)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    cfg.attributes["table"] = names.table
    cfg.attributes["version_table"] = names.version_table
    return cfg


@cache
def _scripts() -> tuple[str | None, frozenset[str]]:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(cfg)
    return scripts.get_current_head(), frozenset(s.revision for s in scripts.walk_revisions())


def prompts_head_revision() -> str | None:
    """The newest registry revision shipped with this version of the bot."""
    return _scripts()[0]


def revision_on(conn: Connection, names: PromptTableNames) -> str | None:
    """The registry revision of ``names.table`` on ``conn``, or None when never installed (read-only)."""
    return MigrationContext.configure(conn, opts={"version_table": names.version_table}).get_current_revision()


def newer_than_known(revision: str | None) -> bool:
    """True for a registry revision a newer bot installed."""
    return revision is not None and revision not in _scripts()[1]
