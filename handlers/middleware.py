"""Cross-cutting listeners: dependency injection, Slack retry suppression, the one error handler."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.context.respond import Respond

from bot.errors import RollbackBotError
from bot.services import Deps
from bot.slack.blocks import build_notice

log = logging.getLogger("rollback_bot.slack")


def register(app: App, deps: Deps) -> None:
    """Install the middleware chain and the error handler."""

    @app.middleware
    def inject_deps(context: BoltContext, request: BoltRequest, next: Callable[[], BoltResponse]) -> Any:
        # Slack re-delivers events it thinks timed out; the first delivery already did the work.
        if request.headers.get("x-slack-retry-num"):
            return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        context["deps"] = deps
        deps.metrics.count("slack_requests", type=str(request.body.get("type") or "command"))
        return next()

    @app.error
    def handle_error(error: Exception, respond: Respond | None, context: BoltContext) -> None:
        if isinstance(error, RollbackBotError):
            log.info("refused: %s: %s", type(error).__name__, error.user_message)
            deps.metrics.count("errors", kind=type(error).__name__)
            text = error.user_message
        else:
            ref = uuid.uuid4().hex[:12]
            log.exception("unexpected error (ref %s)", ref, exc_info=error)
            deps.metrics.count("errors", kind="unexpected")
            text = f"Something went wrong on our side; nothing was changed. Reference: `{ref}`."
        if respond is not None:
            respond(text=text, blocks=build_notice(text), response_type="ephemeral", replace_original=False)
