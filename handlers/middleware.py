"""Cross-cutting listeners: dependency injection, Slack retry suppression, the one error handler."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.context.respond import Respond

from bot.errors import RollbackBotError
from bot.services import Deps
from bot.slack.blocks import build_notice
from bot.slack.views import build_error_view

log = logging.getLogger("rollback_bot.slack")


def register(app: App, deps: Deps) -> None:
    """Install the middleware chain and the error handler."""

    @app.middleware
    def inject_deps(context: BoltContext, request: BoltRequest, next: Callable[[], BoltResponse]) -> Any:
        # Slack re-delivers what it thinks timed out; the first delivery already did (or is doing) the work.
        if request.headers.get("x-slack-retry-num"):
            return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        context["deps"] = deps
        deps.metrics.count("slack_requests", type=str(request.body.get("type") or "command"))
        started = time.monotonic()
        response = next()
        deps.metrics.observe(
            "listener_seconds", time.monotonic() - started, type=str(request.body.get("type") or "command")
        )
        return response

    @app.error
    def handle_error(error: Exception, body: dict[str, Any], respond: Respond | None, context: BoltContext) -> None:
        text = _user_text(deps, error)
        _tell(context, body, respond, text)


def _user_text(deps: Deps, error: Exception) -> str:
    if isinstance(error, RollbackBotError):
        log.info("refused: %s: %s", type(error).__name__, error.user_message)
        deps.metrics.count("errors", kind=type(error).__name__)
        return error.user_message
    ref = uuid.uuid4().hex[:12]
    log.exception("unexpected error (ref %s)", ref, exc_info=error)
    deps.metrics.count("errors", kind="unexpected")
    return f"Something went wrong on our side; nothing was changed by this step. Reference: `{ref}`."


def _tell(context: BoltContext, body: dict[str, Any], respond: Respond | None, text: str) -> None:
    """Privately: through response_url, else in the open modal, else as an ephemeral message."""
    view = body.get("view") or {}
    try:
        if respond is not None and body.get("response_url"):
            respond(text=text, blocks=build_notice(text), response_type="ephemeral", replace_original=False)
        elif view.get("type") == "modal" and view.get("id"):
            context.client.views_update(view_id=view["id"], view=build_error_view(text))
        elif context.channel_id and context.user_id:
            context.client.chat_postEphemeral(
                channel=context.channel_id, user=context.user_id, text=text, blocks=build_notice(text)
            )
    except Exception:
        log.warning("could not deliver an error message to the user", exc_info=True)
