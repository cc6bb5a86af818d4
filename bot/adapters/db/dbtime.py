"""The database's clock in SQL: leases, heartbeats and expiry are computed by the database, never a replica.

``db_now()`` is the current time and ``db_now(seconds)`` that time plus (or minus) some seconds, as a SQL
expression of the bot's UTC timestamp type: PostgreSQL's ``now()``; SQLite's ``'now'`` with millisecond
precision, in the text form SQLAlchemy stores timestamps in (so comparisons with stored values hold).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from bot.adapters.db.models import UtcDateTime


class db_now(FunctionElement[Any]):  # noqa: N801 - reads as the SQL function it stands for
    """The database's current UTC time, plus ``seconds`` (a bound parameter)."""

    type = UtcDateTime()
    inherit_cache = True
    name = "db_now"

    def __init__(self, seconds: float = 0.0) -> None:
        super().__init__(bindparam("seconds", float(seconds), type_=Float(), unique=True))

    @property
    def seconds(self) -> ColumnElement[Any]:
        argument: ColumnElement[Any] = next(iter(self.clauses))
        return argument


@compiles(db_now, "postgresql")
def _postgres(element: db_now, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(now() + make_interval(secs => {compiler.process(element.seconds, **kw)}))"


@compiles(db_now, "sqlite")
def _sqlite(element: db_now, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%Y-%m-%d %H:%M:%f', julianday('now') + {compiler.process(element.seconds, **kw)} / 86400.0)"
