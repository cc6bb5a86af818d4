"""The bot's database at start-up: migrate it (``serve``), or only check it is at this bot's schema (the rest)."""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from bot.adapters.db import migrate

log = logging.getLogger("rollback_bot.bootstrap")


def prepare_database(engine: Engine, *, migrate_db: bool) -> migrate.Migrated:
    """Migrate under the migration lock when ``migrate_db``; then require the schema this bot works with.

    ``serve`` calls it with ``migrate_db=True`` (``False`` under ``--no-migrate``); commands other than
    ``db upgrade`` and ``serve`` never migrate and call it with ``False``.

    Returns:
        The revisions before and after (equal when nothing was migrated).

    Raises:
        SchemaTooNewError: newer than this bot (a ``ConfigError``: fatal, exit 2).
        SchemaError: not migrated yet, with ``migrate_db`` False (exit 2 for a command; ``serve`` retries).
        StoreError: the database is unreachable or the migration failed (worth retrying).
    """
    done = migrate.upgrade(engine) if migrate_db else None
    if done is not None and done.ran:
        log.info("database migrated from %s to %s", done.before or "empty", done.after)
    head = migrate.require_head(engine)
    return done or migrate.Migrated(head, head)
