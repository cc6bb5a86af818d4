"""Work after the ack: on a bounded lane, once per delivery, its errors told to the person.

A listener acks, reads what it needs from the payload, and hands the rest (Azure, the database, Slack
calls) to a lane (``bot.lifecycle.Lanes``), so the pool that acks never waits behind slow work. The same
view submission or click delivered twice is processed once (``bot.services.deliveries``), on any replica.
A lane that is full refuses the work and the person is told to try again: nothing was done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext

from bot.errors import BusyError
from bot.lifecycle import Lane
from bot.services.deliveries import first_delivery
from bot.slack.payloads import delivery_key
from handlers.deps import deps_of
from handlers.errors import tell

BUSY = "The bot has more of this work waiting than it takes on right now; nothing was done. Try again in a minute."


def later(
    context: BoltContext, body: dict[str, Any], lane: Lane, job: Callable[[], None], *, once: bool = True
) -> None:
    """Run ``job`` on ``lane``; with ``once``, only for the first delivery of this submission or click."""
    deps = deps_of(context)
    key = delivery_key(body) if once else None
    actor = str((body.get("user") or {}).get("id") or context.user_id or "unknown")

    def run() -> None:
        try:
            if key is not None and not first_delivery(deps, key, actor=actor):
                return
            job()
        except Exception as error:
            tell(context, body, error)

    if not lane.offer(run):
        deps.metrics.count("busy", lane=lane.name)
        tell(context, body, BusyError(BUSY))
