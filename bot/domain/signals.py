"""LLM signals from the application's telemetry, as pure values.

The telemetry answers named queries; each must return the columns in ``COLUMNS`` (any case, any order, extra
columns ignored):

* ``prompt_versions`` — one row: ``total`` LLM calls in the window and how many carry a prompt version
  (``with_prompt_version``; ``with_version`` is accepted too);
* ``by_revision`` — a row per Container Apps revision: ``revision``, ``calls``, ``errors``, ``p95_ms``;
* ``by_prompt_version`` — a row per prompt and version: ``prompt``, ``version``, ``calls``, ``errors``;
* ``by_model`` — a row per model deployment and model version: ``deployment``, ``model_version``, ``calls``,
  ``errors``.

An adapter returns a ``SignalTable`` (what came back, as columns and rows); the readers here turn it into
typed values or raise ``TelemetryError`` naming the query, the source and what is wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from bot.errors import TelemetryError


class SignalQuery(StrEnum):
    """The named queries a telemetry source may be configured with."""

    prompt_versions = "prompt_versions"
    by_revision = "by_revision"
    by_prompt_version = "by_prompt_version"
    by_model = "by_model"


COLUMNS: dict[SignalQuery, tuple[str, ...]] = {
    SignalQuery.prompt_versions: ("total", "with_prompt_version"),
    SignalQuery.by_revision: ("revision", "calls", "errors", "p95_ms"),
    SignalQuery.by_prompt_version: ("prompt", "version", "calls", "errors"),
    SignalQuery.by_model: ("deployment", "model_version", "calls", "errors"),
}
# Other names accepted for a column (the SQL kind's original name for the prompt-version count).
ALTERNATIVES: dict[str, tuple[str, ...]] = {"with_prompt_version": ("with_version",)}
MAX_ROWS = 500


class Dimension(StrEnum):
    """What a group of calls is grouped by."""

    revision = "revision"
    prompt_version = "prompt_version"
    model = "model"


QUERY_OF: dict[Dimension, SignalQuery] = {
    Dimension.revision: SignalQuery.by_revision,
    Dimension.prompt_version: SignalQuery.by_prompt_version,
    Dimension.model: SignalQuery.by_model,
}
# The columns that name a group: (scope, value); a revision has no scope.
KEYS: dict[Dimension, tuple[str | None, str]] = {
    Dimension.revision: (None, "revision"),
    Dimension.prompt_version: ("prompt", "version"),
    Dimension.model: ("deployment", "model_version"),
}


@dataclass(frozen=True)
class TimeWindow:
    """A half-open span of time ``[start, end)`` with time zones; it is what a query's timespan covers."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a telemetry window needs time zones")
        if self.end <= self.start:
            raise ValueError("a telemetry window must end after it starts")

    @classmethod
    def ending(cls, end: datetime, length: timedelta) -> TimeWindow:
        """The ``length`` of time up to ``end``."""
        return cls(end - length, end)

    @property
    def length(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class SignalTable:
    """What one named query returned: column names and rows as they came, and the service's note when only
    part of the result came back."""

    query: SignalQuery
    source: str
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    partial: str | None = None

    def missing_columns(self) -> tuple[str, ...]:
        """The required columns this table lacks (empty when it has them all)."""
        have = {c.lower() for c in self.columns}
        return tuple(name for name in COLUMNS[self.query] if not ({name, *ALTERNATIVES.get(name, ())} & have))

    def records(self) -> list[dict[str, object]]:
        """Each row by required column name; ``TelemetryError`` when a column is missing or rows are too many."""
        missing = self.missing_columns()
        if missing:
            found = ", ".join(self.columns) or "none"
            raise self.error(
                f"returned no column {', '.join(repr(m) for m in missing)} (columns: {found}); it must return "
                + ", ".join(COLUMNS[self.query])
            )
        if len(self.rows) > MAX_ROWS:
            raise self.error(f"returned more than {MAX_ROWS} rows; group the result by fewer keys")
        index = {c.lower(): i for i, c in enumerate(self.columns)}
        picks = {name: _first_index(index, name) for name in COLUMNS[self.query]}
        return [{name: row[i] if i < len(row) else None for name, i in picks.items()} for row in self.rows]

    def error(self, problem: str) -> TelemetryError:
        """A ``TelemetryError`` about this query and source."""
        return TelemetryError(f"the telemetry query {self.query.value} on {self.source} {problem}")


def _first_index(index: dict[str, int], name: str) -> int:
    for candidate in (name, *ALTERNATIVES.get(name, ())):
        if candidate in index:
            return index[candidate]
    raise KeyError(name)  # pragma: no cover - records() checked the columns first


@dataclass(frozen=True)
class PromptVersionCoverage:
    """How many LLM calls in a window carried a prompt version (checklist item 3)."""

    total: int
    with_version: int
    window: TimeWindow
    partial: str | None = None

    @property
    def share(self) -> float | None:
        """Fraction of calls with a prompt version (None when there were no calls)."""
        return self.with_version / self.total if self.total else None


@dataclass(frozen=True)
class Group:
    """One group of calls: a revision, a prompt's version, or a deployment's model version.

    ``scope`` is the prompt name or the deployment ('' for a revision); ``value`` the revision, version or
    model version.
    """

    dimension: Dimension
    scope: str
    value: str

    def describe(self) -> str:
        """``revision pharmabot--v1``, ``prompt drug_info v3``, ``model gpt4o-stable 2024-05-13``."""
        if self.dimension is Dimension.revision:
            return f"revision {self.value}"
        if self.dimension is Dimension.prompt_version:
            return f"prompt {self.scope} v{self.value}"
        return f"model {self.scope} {self.value}"


@dataclass(frozen=True)
class GroupCalls:
    """Calls and errors of one group in a window (p95 latency when the query gives it)."""

    group: Group
    calls: int
    errors: int
    p95_ms: float | None = None


def coverage(table: SignalTable, window: TimeWindow) -> PromptVersionCoverage:
    """The ``prompt_versions`` answer: exactly one row with two counts, the second not above the first."""
    records = table.records()
    if len(records) != 1:
        raise table.error(f"returned {len(records)} rows; it must return one row with total and with_prompt_version")
    total = count(table, records[0], "total")
    with_version = count(table, records[0], "with_prompt_version")
    if with_version > total:
        raise table.error(f"returned with_prompt_version={with_version} greater than total={total}")
    return PromptVersionCoverage(total, with_version, window, table.partial)


def group_calls(table: SignalTable) -> tuple[GroupCalls, ...]:
    """The rows of ``by_revision``, ``by_prompt_version`` or ``by_model`` as groups (errors never above calls)."""
    dimension = next(d for d, q in QUERY_OF.items() if q is table.query)
    scope_column, value_column = KEYS[dimension]
    out = []
    for record in table.records():
        scope = text(record[scope_column]) if scope_column else ""
        value = text(record[value_column])
        calls, errors = count(table, record, "calls"), count(table, record, "errors")
        if errors > calls:
            raise table.error(f"returned errors={errors} greater than calls={calls} for {value or 'an empty key'}")
        p95 = milliseconds(table, record, "p95_ms") if "p95_ms" in record else None
        out.append(GroupCalls(Group(dimension, scope, value), calls, errors, p95))
    return tuple(out)


def count(table: SignalTable, record: dict[str, object], name: str) -> int:
    """A non-negative whole number (NULL counts as 0, as a sum over no rows gives; '12' and 12.0 are 12)."""
    value = record[name]
    if value is None:
        return 0
    number = _number(value)
    if number is None or number < 0 or number != number.to_integral_value():
        raise table.error(f"returned {name}=“{value}”, not a count")
    return int(number)


def milliseconds(table: SignalTable, record: dict[str, object], name: str) -> float | None:
    """A non-negative duration in milliseconds, or None (no calls, no percentile)."""
    value = record[name]
    if value is None:
        return None
    number = _number(value)
    if number is None or number < 0:
        raise table.error(f"returned {name}=“{value}”, not a duration in milliseconds")
    return float(number)


def text(value: object) -> str:
    """A key as text: 3 and 3.0 read as '3'; NULL as ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
