"""Prometheus metrics, one registry per app instance (so tests and replicas never collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.ports.metrics import Metrics

_COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "slack_requests": ("Slack requests received, by type", ("type",)),
    "slash_commands": ("/rollback invocations, by sub-command", ("subcommand",)),
    "errors": ("Errors shown to users, by kind", ("kind",)),
    "refusals": ("Policy refusals (audited), by reason", ("reason",)),
    "requests": ("Rollback requests opened, by kind", ("kind",)),
    "decisions": ("Decisions on requests, by decision", ("decision",)),
    "outcomes": ("Execution outcomes, by outcome and kind", ("outcome", "kind")),
    "checklists": ("Checklist runs, by overall result", ("overall",)),
    "drills": ("Rollback drills, by outcome", ("outcome",)),
    "busy": ("Slack work refused because its lane was full (the person was told), by lane", ("lane",)),
    "notifications_undelivered": (
        "Card updates and thread messages given up on (retries exhausted, refused, or left at shutdown), by what",
        ("what",),
    ),
    "releases": ("Releases recorded, by source", ("source",)),
    "deploys": ("Guarded deploys, by outcome (promoted, rolled_back, aborted)", ("outcome",)),
    "drifts": ("Drifted layers found by a drift check, by kind", ("kind",)),
    "checklists_unposted": (
        "Scheduled checklists given up on after the last attempt to run or post them",
        ("service", "environment"),
    ),
}
_HISTOGRAMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "listener_seconds": ("Time to dispatch a Slack request (until ack in HTTP mode)", ("type",)),
    "execution_seconds": ("Duration of rollback executions, by kind", ("kind",)),
}


class PrometheusMetrics(Metrics):
    """Metrics exported in the Prometheus text format at ``GET /metrics``."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._counters = {
            name: Counter(f"rollback_bot_{name}", doc, labels, registry=self.registry)
            for name, (doc, labels) in _COUNTERS.items()
        }
        self._histograms = {
            name: Histogram(f"rollback_bot_{name}", doc, labels, registry=self.registry)
            for name, (doc, labels) in _HISTOGRAMS.items()
        }

    def count(self, name: str, **labels: str) -> None:
        self._counters[name].labels(**labels).inc()

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        self._histograms[name].labels(**labels).observe(seconds)

    def render(self) -> bytes:
        """The exposition text."""
        return generate_latest(self.registry)
