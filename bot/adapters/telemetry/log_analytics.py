"""``TelemetryQuery`` over a Log Analytics workspace (Application Insights) with azure-monitor-query.

Each named query is KQL. Before it is sent, ``{window}`` becomes the window's length as a KQL timespan
literal (``10m``, ``24h``) and ``{revision}`` the revision asked about as a quoted KQL string literal
(``""`` when none). The window itself is sent as the query's timespan (``start/end``), so a query needs no
time filter of its own.

Throttling (429) and transient failures are retried by the client's bounded retry policy; what outlives it
becomes the bot's ``AzureError`` (``AzureThrottledError`` says when to try again). A partial result is kept
and carries the service's explanation (``SignalTable.partial``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from azure.monitor.query import LogsQueryClient, LogsQueryPartialResult, LogsQueryResult, LogsTable

from bot.adapters.azure.errors import Call, translate
from bot.domain.signals import SignalQuery, SignalTable, TimeWindow
from bot.errors import TelemetryError
from bot.ports.telemetry import TelemetryQuery

ROLE = "Log Analytics Reader"
PERMISSION = "Microsoft.OperationalInsights/workspaces/query/read"


class LogAnalyticsTelemetry(TelemetryQuery):
    """Named KQL queries against one workspace (``queries``: name → KQL text)."""

    def __init__(
        self,
        client: LogsQueryClient,
        workspace_id: str,
        queries: Mapping[SignalQuery, str],
        *,
        server_timeout: int = 60,
    ) -> None:
        self._client = client
        self._workspace = workspace_id
        self._queries = dict(queries)
        self._server_timeout = server_timeout

    @property
    def source(self) -> str:
        return f"Log Analytics workspace {self._workspace}"

    def configured(self) -> tuple[SignalQuery, ...]:
        return tuple(q for q in SignalQuery if q in self._queries)

    def run(self, query: SignalQuery, window: TimeWindow, *, revision: str = "") -> SignalTable:
        """Send ``query`` with its placeholders filled and ``window`` as the timespan."""
        if query not in self._queries:
            raise self.missing(query)
        kql = fill(self._queries[query], window, revision)
        call = Call(
            f"run the telemetry query {query.value}",
            "Log Analytics workspace",
            self._workspace,
            PERMISSION,
            f"<resource id of the Log Analytics workspace {self._workspace}>",
            ROLE,
        )
        with translate(call):
            answer = self._client.query_workspace(
                self._workspace, kql, timespan=(window.start, window.end), server_timeout=self._server_timeout
            )
        return self._table(query, answer)

    def _table(self, query: SignalQuery, answer: LogsQueryResult | LogsQueryPartialResult) -> SignalTable:
        """The primary result table; a partial answer keeps its data and the service's explanation."""
        partial = None
        if isinstance(answer, LogsQueryPartialResult):
            error = answer.partial_error
            code = getattr(error, "code", "") or "PartialError"
            message = (getattr(error, "message", "") or "no explanation given").strip().splitlines()[0][:300]
            partial = f"Log Analytics returned only part of the result ({code}: {message})"
            tables: list[LogsTable] = list(answer.partial_data or [])
            if not tables:
                raise TelemetryError(f"the telemetry query {query.value} on {self.source} failed: {partial}")
        else:
            tables = list(answer.tables)
        if not tables:
            raise TelemetryError(f"the telemetry query {query.value} on {self.source} returned no table")
        table = tables[0]
        rows = tuple(tuple(row) for row in table.rows)
        return SignalTable(query, self.source, tuple(table.columns), rows, partial)


def fill(kql: str, window: TimeWindow, revision: str) -> str:
    """``kql`` with ``{window}`` and ``{revision}`` replaced (nothing else: KQL has braces of its own)."""
    return kql.replace("{window}", kql_timespan(window.length)).replace("{revision}", kql_string(revision))


def kql_timespan(span: timedelta) -> str:
    """A KQL timespan literal: whole hours as ``24h``, whole minutes as ``10m``, else seconds."""
    seconds = int(span.total_seconds())
    if seconds and seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds and seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{max(seconds, 1)}s"


def kql_string(value: str) -> str:
    """A double-quoted KQL string literal (backslash and quote escaped; control characters dropped)."""
    clean = "".join(ch for ch in value if ch >= " ")
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'
