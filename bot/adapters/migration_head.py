"""``MigrationHead`` over SQL: the revision(s) in the application's Alembic-style version table."""

from __future__ import annotations

from sqlalchemy import Engine, Select, column, select, table
from sqlalchemy.exc import SQLAlchemyError

from bot.adapters.db.engine import describe_db_error
from bot.errors import StoreError
from bot.ports.migrations import MigrationHead


class SqlMigrationHead(MigrationHead):
    """Reads ``version_num`` of every row of ``version_table`` (a validated identifier); never writes."""

    def __init__(self, engine: Engine, version_table: str) -> None:
        self._engine = engine
        self._table = version_table
        self._where = engine.url.render_as_string(hide_password=True)

    def head(self) -> str | None:
        query: Select[tuple[object]] = select(column("version_num")).select_from(table(self._table))
        try:
            with self._engine.connect() as conn:
                heads = sorted(str(v) for v in conn.execute(query).scalars() if v)
        except SQLAlchemyError as exc:
            raise StoreError(
                f"could not read the migration head from {self._table} on {self._where}: {describe_db_error(exc)}"
            ) from exc
        return "+".join(heads) or None
