"""``TelemetryQuery`` over SQL: runs the configured query against the application's LLM call log."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import DateTime, Engine, TextClause, bindparam, text
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StoreError
from bot.ports.telemetry import PromptVersionCoverage, TelemetryQuery

COLUMNS = ("total", "with_version")


class SqlTelemetryQuery(TelemetryQuery):
    """The configured query must return one row with ``total`` and ``with_version``; ``:since`` is bound if used."""

    def __init__(self, engine: Engine, query: str) -> None:
        self._engine = engine
        self._query = query
        self._where = engine.url.render_as_string(hide_password=True)

    def prompt_version_coverage(self, *, since: datetime) -> PromptVersionCoverage:
        """Run the query for the window starting at ``since`` (an aware instant, bound in UTC)."""
        if since.tzinfo is None:
            raise StoreError("the telemetry window start must carry a time zone")
        since_utc = since.astimezone(UTC)
        clause = self._clause()
        params = {"since": since_utc} if "since" in clause.compile().params else {}
        row = self._fetch(clause, params)
        total, with_version = (self._count(row, name) for name in COLUMNS)
        if with_version > total:
            raise StoreError(
                f"the telemetry query on {self._where} returned with_version={with_version} greater than "
                f"total={total}; check the configured telemetry.query"
            )
        return PromptVersionCoverage(total=total, with_version=with_version, since=since_utc)

    def _clause(self) -> TextClause:
        """The query, with ``:since`` typed as a timezone-aware timestamp when it is used."""
        clause = text(self._query)
        if "since" in clause.compile().params:
            clause = clause.bindparams(bindparam("since", type_=DateTime(timezone=True)))
        return clause

    def _fetch(self, clause: TextClause, params: dict[str, Any]) -> Mapping[str, Any]:
        """The query's first row; database failures become ``StoreError`` without secrets."""
        try:
            with self._engine.connect() as conn:
                row = conn.execute(clause, params).mappings().first()
        except SQLAlchemyError as exc:
            raise StoreError(f"the telemetry query on {self._where} failed: {self._describe(exc)}") from exc
        if row is None:
            raise StoreError(
                f"the telemetry query on {self._where} returned no row; it must return one row with the "
                "columns total and with_version"
            )
        return {str(key).lower(): value for key, value in row.items()}

    def _count(self, row: Mapping[str, Any], name: str) -> int:
        """A non-negative integer column (NULL counts as 0, as SUM over no rows gives)."""
        if name not in row:
            found = ", ".join(row) or "none"
            raise StoreError(
                f"the telemetry query on {self._where} returned no column {name!r} (columns: {found}); it must "
                "return total and with_version"
            )
        value = row[name]
        if value is None:
            return 0
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = Decimal(-1)
        if not number.is_finite() or number < 0 or number != number.to_integral_value():
            raise StoreError(f"the telemetry query on {self._where} returned {name}={value!r}, not a count")
        return int(number)

    def _describe(self, exc: SQLAlchemyError) -> str:
        """The driver's first line, without parameters and with any password masked."""
        lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        first = lines[0] if lines else ""
        password = self._engine.url.password
        if password:
            first = first.replace(str(password), "***")
        return f"{type(exc).__name__}: {first}"
