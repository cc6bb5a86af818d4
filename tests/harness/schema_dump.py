"""A database's schema as comparable data: what "byte-for-byte unchanged" means in the footprint tests.

SQLite: every row of ``sqlite_master`` (tables, indexes, triggers, views with their SQL). PostgreSQL,
for the current schema: relations and their kinds, columns, constraints, index and trigger definitions,
and function definitions, each as PostgreSQL itself prints them.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

_POSTGRES = {
    "relations": "SELECT c.relname, c.relkind FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace",
    "columns": (
        "SELECT table_name, column_name, ordinal_position, data_type, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = current_schema()"
    ),
    "constraints": (
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), condeferrable, condeferred "
        "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace"
    ),
    "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()",
    "triggers": (
        "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal"
    ),
    "functions": (
        "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p "
        "WHERE p.pronamespace = current_schema()::regnamespace"
    ),
}


def schema_dump(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Everything that makes up the schema, sorted, per kind of object."""
    queries = (
        _POSTGRES
        if engine.dialect.name == "postgresql"
        else {"sqlite_master": "SELECT type, name, tbl_name, sql FROM sqlite_master"}
    )
    with engine.connect() as conn:
        return {kind: sorted(tuple(r) for r in conn.execute(text(query))) for kind, query in queries.items()}
