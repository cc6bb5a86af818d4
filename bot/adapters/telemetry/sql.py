"""``TelemetryQuery`` over SQL: runs the configured named queries against the application's LLM call log.

Each query may use the bound parameters ``:since`` and ``:until`` (the window, timezone-aware UTC) and
``:revision`` (the revision asked about, '' when none); only those it uses are bound.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any

from sqlalchemy import DateTime, Engine, TextClause, bindparam, text
from sqlalchemy.exc import SQLAlchemyError

from bot.adapters.db.engine import describe_db_error
from bot.domain.signals import MAX_ROWS, SignalQuery, SignalTable, TimeWindow
from bot.errors import TelemetryError
from bot.ports.telemetry import TelemetryQuery

_TIMES = ("since", "until")


class SqlTelemetryQuery(TelemetryQuery):
    """Named queries over a SQL database (``queries``: name → SQL text)."""

    def __init__(self, engine: Engine, queries: Mapping[SignalQuery, str]) -> None:
        self._engine = engine
        self._queries = dict(queries)
        self._where = engine.url.render_as_string(hide_password=True)

    @property
    def source(self) -> str:
        return self._where

    def configured(self) -> tuple[SignalQuery, ...]:
        return tuple(q for q in SignalQuery if q in self._queries)

    def run(self, query: SignalQuery, window: TimeWindow, *, revision: str = "") -> SignalTable:
        """Run ``query`` with the window (and revision) bound; at most ``MAX_ROWS + 1`` rows are read."""
        if query not in self._queries:
            raise self.missing(query)
        clause, used = self._clause(self._queries[query])
        values: dict[str, Any] = {
            "since": window.start.astimezone(UTC),
            "until": window.end.astimezone(UTC),
            "revision": revision,
        }
        params = {name: value for name, value in values.items() if name in used}
        try:
            with self._engine.connect() as conn:
                result = conn.execute(clause, params)
                columns = tuple(map(str, result.keys()))
                rows = tuple(tuple(row) for row in result.fetchmany(MAX_ROWS + 1))
        except SQLAlchemyError as exc:
            raise TelemetryError(
                f"the telemetry query {query.value} on {self._where} failed: {self._describe(exc)}"
            ) from exc
        return SignalTable(query, self._where, columns, rows)

    def _clause(self, sql: str) -> tuple[TextClause, set[str]]:
        """The query with ``:since``/``:until`` typed as timezone-aware timestamps, and the parameters it uses."""
        clause = text(sql)
        used = set(clause.compile().params)
        times = [bindparam(name, type_=DateTime(timezone=True)) for name in _TIMES if name in used]
        return (clause.bindparams(*times) if times else clause), used

    def _describe(self, exc: SQLAlchemyError) -> str:
        """The driver's first line, with any password masked (a driver may echo its connection string)."""
        text = describe_db_error(exc)
        password = self._engine.url.password
        return text.replace(str(password), "***") if password else text
