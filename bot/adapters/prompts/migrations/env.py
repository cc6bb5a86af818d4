"""Alembic environment of the prompt registry.

``config.attributes`` carries the engine, the prompts table name and the version table (see
migrate.py). On SQLite the migration runs inside an explicit ``BEGIN IMMEDIATE`` so that a failed
check or statement leaves the database exactly as it was, as on PostgreSQL.
"""

from __future__ import annotations

from alembic import context

config = context.config
engine = config.attributes["engine"]
with engine.connect() as connection:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    context.configure(
        connection=connection,
        target_metadata=None,
        version_table=config.attributes["version_table"],
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
