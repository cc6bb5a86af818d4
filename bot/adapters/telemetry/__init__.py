"""The telemetry port's two adapters (a SQL call log, a Log Analytics workspace) and building one from config."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from bot.adapters.azure.clients import AzureClients
from bot.adapters.db.engine import make_engine
from bot.adapters.telemetry.log_analytics import LogAnalyticsTelemetry
from bot.adapters.telemetry.sql import SqlTelemetryQuery
from bot.config import AzureConfig, LogAnalyticsTelemetryConfig, SqlTelemetryConfig
from bot.domain.secrets import SecretText
from bot.domain.signals import SignalQuery
from bot.ports.telemetry import TelemetryQuery


def build_telemetry(
    config: SqlTelemetryConfig | LogAnalyticsTelemetryConfig,
    *,
    engine: Callable[[SecretText], Engine],
    clients: Callable[[], AzureClients],
) -> TelemetryQuery:
    """The adapter for ``config``'s kind; ``engine`` and ``clients`` are called only for the kind that needs them."""
    queries = {SignalQuery(name): text for name, text in config.named_queries().items()}
    if isinstance(config, LogAnalyticsTelemetryConfig):
        return LogAnalyticsTelemetry(clients().logs_query(config.endpoint), config.workspace_id, queries)
    return SqlTelemetryQuery(engine(config.database_url), queries)


@contextmanager
def standalone_telemetry(
    config: SqlTelemetryConfig | LogAnalyticsTelemetryConfig, azure: AzureConfig
) -> Iterator[TelemetryQuery]:
    """The adapter for a one-shot command; its database connections are released on exit."""
    engines: list[Engine] = []

    def engine(url: SecretText) -> Engine:
        engines.append(make_engine(url))
        return engines[-1]

    try:
        yield build_telemetry(config, engine=engine, clients=lambda: AzureClients(azure))
    finally:
        for made in engines:
            made.dispose()


__all__ = ["LogAnalyticsTelemetry", "SqlTelemetryQuery", "build_telemetry", "standalone_telemetry"]
