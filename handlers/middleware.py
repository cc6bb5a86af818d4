"""Cross-cutting listeners: dependency injection, Slack retry suppression, errors raised before a listener."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse

from bot.lifecycle import Lanes
from bot.services import Deps
from bot.services.home import BoardCache
from handlers.deps import install
from handlers.errors import tell

# Request types Slack sends (a label value: anything else is counted as "other", so no series can be invented).
KNOWN_TYPES = frozenset(
    {
        "command",
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "event_callback",
        "url_verification",
        "shortcut",
        "message_action",
        "interactive_message",
    }
)


def request_type(request: BoltRequest) -> str:
    """The request's type as a bounded label value."""
    kind = request.body.get("type") if isinstance(request.body, dict) else None
    kind = kind if isinstance(kind, str) else "command"
    return kind if kind in KNOWN_TYPES else "other"


def is_retry(request: BoltRequest) -> bool:
    """A re-delivery: x-slack-retry-num of 1 or more (Socket Mode mirrors a first delivery as 0)."""
    values = request.headers.get("x-slack-retry-num") or []
    return any(v.strip().isdigit() and int(v) > 0 for v in values)


def register(app: App, deps: Deps, lanes: Lanes, boards: BoardCache) -> None:
    """Install the middleware chain and the error handler."""

    @app.middleware
    def inject_deps(context: BoltContext, request: BoltRequest, next: Callable[[], BoltResponse]) -> Any:
        # Slack re-delivers what it thinks timed out; the first delivery already did (or is doing) the work.
        if is_retry(request):
            return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        install(context, deps, lanes, boards)
        kind = request_type(request)
        deps.metrics.count("slack_requests", type=kind)
        started = time.monotonic()
        response = next()
        deps.metrics.observe("listener_seconds", time.monotonic() - started, type=kind)
        return response

    @app.error
    def handle_error(error: Exception, body: dict[str, Any], context: BoltContext) -> None:
        tell(context, body, error)
