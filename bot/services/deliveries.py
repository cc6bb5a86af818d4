"""Each Slack submission or click is processed once: a replay or a double delivery changes nothing."""

from __future__ import annotations

from datetime import timedelta

from bot.services import Deps
from bot.services.audit import record

# Slack refuses signatures older than 5 minutes; a delivery is remembered for longer than that.
REMEMBERED_FOR = timedelta(minutes=10)


def first_delivery(deps: Deps, key: str, *, actor: str) -> bool:
    """True the first time ``key`` (a delivery's identity) is seen on any replica; a repeat is audited."""
    if deps.deliveries.first_time(key, now=deps.clock(), keep_for=REMEMBERED_FOR):
        return True
    record(
        deps, "refused.replayed", actor=actor, request_id=None, reason="this submission or click was already processed"
    )
    deps.metrics.count("refusals", reason="Replayed")
    return False
