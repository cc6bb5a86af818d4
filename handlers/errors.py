"""The one place errors become messages to people.

Listeners are registered through ``reported``: an error a listener raises is told to the person here and
never reaches Bolt (slack_bolt 1.30 resets an already-sent ack when a listener raises soon after acking,
so Slack would get a 404 after 3 s instead of the ack), and a listener that raised before it acked (a
payload it could not read) is acked here. Errors raised before any listener (middleware) reach Bolt's
``@app.error``, which uses the same ``tell``.
"""

from __future__ import annotations

import functools
import inspect
import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext

from bot.errors import NotAllowedError, RollbackBotError
from bot.services import Deps
from bot.slack.blocks import build_notice
from bot.slack.mrkdwn import render
from bot.slack.views import build_error_view
from bot.text import Text
from handlers.deps import maybe_deps

log = logging.getLogger("rollback_bot.slack")
_NEEDED = ("context", "body")


def user_text(deps: Deps | None, error: Exception) -> Text:
    """What the person sees: the bot's own message, or a reference to the logged error."""
    failure = deps.slack_failure(error) if deps is not None else None
    if failure is not None:  # counted by class in rollback_bot_slack_errors_total
        log.warning("%s; nothing was changed by this step", failure)
        if deps is not None:
            deps.metrics.count("errors", kind="slack")
        return Text("Slack did not take the bot's answer; nothing was changed by this step. Try again in a minute.")
    if isinstance(error, RollbackBotError):
        # A policy refusal is already one line of the event log (audited); other errors are said here.
        level = logging.DEBUG if isinstance(error, NotAllowedError) else logging.INFO
        log.log(level, "refused: %s: %s", type(error).__name__, error.user_message)
        if deps is not None:
            deps.metrics.count("errors", kind=type(error).__name__)
        return error.text
    ref = uuid.uuid4().hex[:12]
    log.exception("unexpected error (ref %s)", ref, exc_info=error)
    if deps is not None:
        deps.metrics.count("errors", kind="unexpected")
    return Text(f"Something went wrong on our side; nothing was changed by this step. Reference: `{ref}`.")


def tell(context: BoltContext, body: dict[str, Any], error: Exception) -> None:
    """Privately: through response_url, else in the open modal, else as an ephemeral message."""
    message = user_text(maybe_deps(context), error)
    text = render(message)
    view = body.get("view") or {}
    try:
        if context.respond is not None and body.get("response_url"):
            context.respond(text=text, blocks=build_notice(message), response_type="ephemeral", replace_original=False)
        elif view.get("type") == "modal" and view.get("id"):
            context.client.views_update(view_id=view["id"], view=build_error_view(message))
        elif context.channel_id and context.user_id:
            context.client.chat_postEphemeral(
                channel=context.channel_id, user=context.user_id, text=text, blocks=build_notice(message)
            )
    except Exception:
        log.warning("could not deliver an error message to the user", exc_info=True)


def tell_in(context: BoltContext, channel_id: str, user_id: str, error: Exception) -> None:
    """Privately, as a message only ``user_id`` sees in ``channel_id`` (after a dialog closed: nothing to update)."""
    message = user_text(maybe_deps(context), error)
    try:
        context.client.chat_postEphemeral(
            channel=channel_id, user=user_id, text=render(message), blocks=build_notice(message)
        )
    except Exception:
        log.warning("could not deliver an error message to the user", exc_info=True)


def reported(listener: Callable[..., None]) -> Callable[..., None]:
    """Wrap a listener so that what it raises is told to the person instead of reaching Bolt.

    Bolt injects arguments by the *listener's* parameter names (it unwraps the wrapper), so every
    listener declares ``context`` and ``body``; this is checked here, at registration.
    """
    names = set(inspect.signature(listener).parameters)
    missing = [n for n in _NEEDED if n not in names]
    if missing:
        raise TypeError(f"listener {listener.__name__} must accept {', '.join(missing)} (for error reports)")

    @functools.wraps(listener)
    def wrapper(**kwargs: Any) -> None:
        ack = kwargs.get("ack")
        acked = False

        def recording_ack(*args: Any, **ack_kwargs: Any) -> Any:
            nonlocal acked
            acked = True
            return ack(*args, **ack_kwargs) if ack is not None else None

        if ack is not None:
            kwargs["ack"] = recording_ack
        try:
            listener(**kwargs)
        except Exception as error:
            if ack is not None and not acked:
                ack()  # a payload it could not read still gets its 200 (else Bolt answers 404 after 3 s)
            tell(kwargs["context"], kwargs["body"], error)

    return wrapper
