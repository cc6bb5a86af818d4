"""Alembic environment of the prompt registry.

``config.attributes`` carries the connection (which holds the migration lock, see migrate.py), the
prompts table name and the version table. The caller commits: on PostgreSQL the whole run is one
transaction, and on SQLite it runs inside the ``BEGIN IMMEDIATE`` the lock opened, so a failed check or
statement leaves the database exactly as it was on both.
"""

from __future__ import annotations

from alembic import context

config = context.config
context.configure(
    connection=config.attributes["connection"],
    target_metadata=None,
    version_table=config.attributes["version_table"],
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
