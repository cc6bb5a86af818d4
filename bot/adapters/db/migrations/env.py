"""Alembic environment: runs on ``config.attributes['connection']``, which holds the migration lock (migrate.py).

The caller commits: on PostgreSQL the whole upgrade is one transaction; on SQLite it runs inside the
``BEGIN IMMEDIATE`` the lock opened, so a failed step leaves the database as it was there too.
"""

from __future__ import annotations

from alembic import context

from bot.adapters.db.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
