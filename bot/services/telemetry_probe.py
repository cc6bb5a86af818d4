"""`rollback-bot telemetry test`: run each configured named query once and check what came back."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.signals import COLUMNS, SignalQuery, SignalTable, TimeWindow, coverage, group_calls
from bot.errors import RollbackBotError, TelemetryError
from bot.ports.telemetry import TelemetryQuery


@dataclass(frozen=True)
class QueryAnswer:
    """One named query's outcome: not configured, answered (with a problem when its shape is wrong), or failed."""

    query: SignalQuery
    configured: bool
    table: SignalTable | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Configured, answered, and in the shape the bot needs."""
        return self.configured and self.problem is None

    @property
    def status(self) -> str:
        """``ok``, ``fail`` or ``not configured``."""
        if not self.configured:
            return "not configured"
        return "ok" if self.ok else "fail"

    def to_json(self) -> dict[str, object]:
        """The documented ``telemetry test --json`` form of one query."""
        table = self.table
        return {
            "query": self.query.value,
            "status": self.status,
            "expected_columns": list(COLUMNS[self.query]),
            "columns": list(table.columns) if table else None,
            "rows": [[_plain(v) for v in row] for row in table.rows] if table else None,
            "partial": table.partial if table else None,
            "problem": self.problem,
        }


def probe_telemetry(telemetry: TelemetryQuery, window: TimeWindow, *, revision: str = "") -> list[QueryAnswer]:
    """Every named query, in order: each configured one run once over ``window`` and read as the bot reads it."""
    answers = []
    for query in SignalQuery:
        if not telemetry.has(query):
            answers.append(QueryAnswer(query, configured=False))
            continue
        try:
            table = telemetry.run(query, window, revision=revision)
        except RollbackBotError as exc:
            answers.append(QueryAnswer(query, configured=True, problem=exc.user_message))
            continue
        answers.append(QueryAnswer(query, configured=True, table=table, problem=_shape_problem(table, window)))
    return answers


def _shape_problem(table: SignalTable, window: TimeWindow) -> str | None:
    try:
        if table.query is SignalQuery.prompt_versions:
            coverage(table, window)
        else:
            group_calls(table)
    except TelemetryError as exc:
        return exc.user_message
    return None


def _plain(value: object) -> object:
    """A JSON value: numbers, text, booleans and null as they are, anything else as text."""
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)
