"""Prometheus metrics, one registry per app instance (so tests and replicas never collide).

Counters carry ``service`` and ``environment`` where an event belongs to one, bounded by the configuration:
a target that is not configured is counted as ``other`` (and an event that belongs to none as ``none``), so a
hostile or mistyped name can never create a new series. The in-flight gauges are computed at scrape time from
the database (``InFlightCollector``): every replica exports the same numbers, right after a restart too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from bot.domain.rollback_requests import RequestStatus, RollbackRequest, ServiceEnv
from bot.ports.metrics import Metrics
from bot.ports.store import RequestRepository

log = logging.getLogger("rollback_bot.metrics")

OTHER = "other"  # a service/environment that is not in the configuration
NONE = "none"  # an event that belongs to no service/environment
TARGET = ("service", "environment")

_COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "slack_requests": ("Slack requests received, by type", ("type",)),
    "slash_commands": ("/rollback invocations, by sub-command", ("subcommand",)),
    "errors": ("Errors shown to users, by kind", ("kind",)),
    "refusals": ("Policy refusals (audited), by reason class", ("reason", *TARGET)),
    "requests": ("Rollback requests opened, by kind", ("kind", *TARGET)),
    "decisions": ("Decisions on requests, by decision", ("decision", *TARGET)),
    "outcomes": (
        "Execution outcomes (succeeded, failed, interrupted: closed after a restart without running), by kind",
        ("outcome", "kind", *TARGET),
    ),
    "checklists": ("Checklist runs, by overall result", ("overall", *TARGET)),
    "drills": ("Rollback drills, by outcome", ("outcome", *TARGET)),
    "busy": ("Slack work refused because its lane was full (the person was told), by lane", ("lane",)),
    "notifications_undelivered": (
        "Card updates and thread messages given up on (retries exhausted, refused, or left at shutdown), by what",
        ("what",),
    ),
    "releases": ("Releases recorded, by source", ("source", *TARGET)),
    "deploys": ("Guarded deploys, by outcome (promoted, rolled_back, aborted)", ("outcome", *TARGET)),
    "drifts": ("Drifted layers found by a drift check, by kind", ("kind", *TARGET)),
    "checklists_unposted": ("Scheduled checklists given up on after the last attempt to run or post them", TARGET),
    "checklists_missed": (
        "Scheduled checklists never run: no replica was running within the catch-up window after the fire time",
        TARGET,
    ),
    "slack_errors": (
        "Slack Web API calls that failed, by method and error class (every attempt, retried ones included)",
        ("method", "error_class"),
    ),
    "azure_errors": (
        "Azure calls that failed after the SDK's retries, by error class",
        ("error_class", *TARGET),
    ),
}
_HISTOGRAMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "listener_seconds": ("Time to dispatch a Slack request (until ack in HTTP mode)", ("type",)),
    "execution_seconds": ("Duration of rollback executions, by kind", ("kind", *TARGET)),
}
GAUGES = (
    "rollback_bot_executions_in_flight",
    "rollback_bot_oldest_execution_age_seconds",
    "rollback_bot_in_flight_query_ok",
)
IN_FLIGHT = (RequestStatus.approved, RequestStatus.executing)


class TargetLabels:
    """``service``/``environment`` label values bounded by the configured targets."""

    def __init__(self, targets: Iterable[ServiceEnv]) -> None:
        self.targets = tuple(dict.fromkeys(targets))
        self._known = frozenset(self.targets)

    def __call__(self, target: ServiceEnv | None) -> dict[str, str]:
        if target is None:
            return {"service": NONE, "environment": NONE}
        if target not in self._known:
            return {"service": OTHER, "environment": OTHER}
        return {"service": target.service, "environment": target.environment}


class InFlightCollector(Collector):
    """Executions approved or running, per target, and the age of the oldest since its approval, read from the
    database at scrape time (the database's clock); a database that does not answer sets
    ``rollback_bot_in_flight_query_ok`` to 0 instead of failing the scrape."""

    def __init__(self, requests: RequestRepository, labels: TargetLabels) -> None:
        self._requests = requests
        self._labels = labels

    def collect(self) -> Iterator[Metric]:
        ok = GaugeMetricFamily(GAUGES[2], "1 when the in-flight gauges could be read from the database, else 0")
        try:
            now, rows = self._requests.now(), list(self._requests.list_by_status(IN_FLIGHT))
        except Exception as exc:  # a scrape never fails: the gauge says the numbers are missing
            log.warning("metrics: in-flight executions not readable: %s", type(exc).__name__)
            ok.add_metric([], 0.0)
            yield ok
            return
        ok.add_metric([], 1.0)
        counts: dict[tuple[str, str, str], int] = {}
        oldest: dict[tuple[str, str], float] = {}
        for target in self._labels.targets:
            key = (target.service, target.environment)
            oldest[key] = 0.0
            for waiting in IN_FLIGHT:
                counts[(*key, waiting.value)] = 0
        for row in rows:
            where = self._labels(row.target)
            key = (where["service"], where["environment"])
            counts[(*key, row.status.value)] = counts.get((*key, row.status.value), 0) + 1
            oldest[key] = max(oldest.get(key, 0.0), _age(row, now))
        in_flight = GaugeMetricFamily(
            GAUGES[0], "Rollback executions approved (waiting for a replica) or executing", labels=[*TARGET, "status"]
        )
        for labels, n in sorted(counts.items()):
            in_flight.add_metric(list(labels), float(n))
        age = GaugeMetricFamily(
            GAUGES[1], "Seconds since the oldest in-flight execution was approved (0: none)", labels=list(TARGET)
        )
        for (service, environment), seconds in sorted(oldest.items()):
            age.add_metric([service, environment], seconds)
        yield from (in_flight, age, ok)

    def describe(self) -> Iterator[Metric]:
        return iter(())  # computed at scrape time: nothing to check at registration


def _age(request: RollbackRequest, now: datetime) -> float:
    since = request.decided_at or request.created_at
    return max(0.0, (now - since).total_seconds())


class PrometheusMetrics(Metrics):
    """Metrics exported in the Prometheus text format at ``GET /metrics``."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, targets: Iterable[ServiceEnv] = ()) -> None:
        self.registry = CollectorRegistry()
        self.labels = TargetLabels(targets)
        self._counters = {
            name: Counter(f"rollback_bot_{name}", doc, labels, registry=self.registry)
            for name, (doc, labels) in _COUNTERS.items()
        }
        self._histograms = {
            name: Histogram(f"rollback_bot_{name}", doc, labels, registry=self.registry)
            for name, (doc, labels) in _HISTOGRAMS.items()
        }

    def watch_in_flight(self, requests: RequestRepository) -> None:
        """Export the in-flight gauges, read from ``requests`` at every scrape."""
        self.registry.register(InFlightCollector(requests, self.labels))

    def _labels(self, names: tuple[str, ...], target: ServiceEnv | None, labels: dict[str, str]) -> dict[str, str]:
        return {**self.labels(target), **labels} if "service" in names else labels

    def count(self, name: str, *, target: ServiceEnv | None = None, **labels: str) -> None:
        self._counters[name].labels(**self._labels(_COUNTERS[name][1], target, labels)).inc()

    def observe(self, name: str, seconds: float, *, target: ServiceEnv | None = None, **labels: str) -> None:
        self._histograms[name].labels(**self._labels(_HISTOGRAMS[name][1], target, labels)).observe(seconds)

    def names(self) -> set[str]:
        """Every metric name exported (counters with ``_total``, histograms' series, the gauges)."""
        exported = {f"rollback_bot_{n}_total" for n in _COUNTERS}
        for n in _HISTOGRAMS:
            exported |= {f"rollback_bot_{n}_{suffix}" for suffix in ("bucket", "sum", "count")}
        return exported | set(GAUGES)

    def render(self) -> bytes:
        """The exposition text."""
        return generate_latest(self.registry)
