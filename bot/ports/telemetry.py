"""Port for reading the application's LLM signals: checklist item 3, canary gates, proof after a rollback.

Two adapters implement it: a SQL call log and a Log Analytics workspace (Application Insights). Both run
the configured named queries (``bot.domain.signals.SignalQuery``) over a time window and return what came
back; the typed readings below are the same for both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from bot.domain.signals import (
    QUERY_OF,
    Dimension,
    GroupCalls,
    PromptVersionCoverage,
    SignalQuery,
    SignalTable,
    TimeWindow,
    coverage,
    group_calls,
)
from bot.errors import TelemetryError


class TelemetryQuery(ABC):
    """Runs the configured named queries over the application's telemetry."""

    @property
    @abstractmethod
    def source(self) -> str:
        """Where the signals are read, for messages (no secrets): ``Log Analytics workspace …``, a redacted URL."""

    @abstractmethod
    def configured(self) -> tuple[SignalQuery, ...]:
        """The named queries this source has, in ``SignalQuery`` order."""

    @abstractmethod
    def run(self, query: SignalQuery, window: TimeWindow, *, revision: str = "") -> SignalTable:
        """Run ``query`` over ``window``; ``revision`` is the revision the caller asks about ('' when none).

        Raises:
            TelemetryError: the query is not configured, or the source refused or failed it.
            AzureError: Log Analytics refused the call (permission, throttling past the bounded wait, …).
        """

    def has(self, query: SignalQuery) -> bool:
        """True when ``query`` is configured."""
        return query in self.configured()

    def prompt_version_coverage(self, window: TimeWindow) -> PromptVersionCoverage:
        """Calls in ``window`` and those that logged a prompt version (``prompt_versions``)."""
        return coverage(self.run(SignalQuery.prompt_versions, window), window)

    def calls_by(
        self, dimension: Dimension, window: TimeWindow, *, revision: str = ""
    ) -> tuple[tuple[GroupCalls, ...], str | None]:
        """Calls per revision / prompt version / model in ``window``, and the partial-result note if any."""
        table = self.run(QUERY_OF[dimension], window, revision=revision)
        return group_calls(table), table.partial

    def missing(self, query: SignalQuery) -> TelemetryError:
        """The error for a query this source was not configured with."""
        return TelemetryError(f"the telemetry on {self.source} has no {query.value} query configured")
