"""Buttons on the request card: Approve, Reject, Cancel."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.errors import UsageError
from bot.services import rollbacks
from bot.services.deploy.freezes import abort_deploy
from bot.slack.ids import SlackId
from bot.slack.payloads import decode_request_ref, text_at
from handlers.deps import deps_of, lanes_of
from handlers.errors import reported
from handlers.later import later


def register(app: App) -> None:
    """Attach the card's button listeners."""
    app.action(SlackId.approve.value)(reported(handle_approve_action))
    app.action(SlackId.reject.value)(reported(handle_reject_action))
    app.action(SlackId.cancel.value)(reported(handle_cancel_action))
    app.action(SlackId.deploy_abort.value)(reported(handle_deploy_abort_action))


def handle_approve_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    """Approve; the card updates itself, refusals come back privately through the error handler."""
    ack()
    request_id, user_id = decode_request_ref(action.get("value")), text_at(body, "user", "id")
    later(context, body, lanes_of(context).decide, lambda: _approve(context, request_id, user_id))


def _approve(context: BoltContext, request_id: int, user_id: str) -> None:
    rollbacks.approve(deps_of(context), request_id=request_id, user_id=user_id)


def handle_reject_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    """Reject the request."""
    ack()
    request_id, user_id = decode_request_ref(action.get("value")), text_at(body, "user", "id")
    later(context, body, lanes_of(context).decide, lambda: _reject(context, request_id, user_id))


def _reject(context: BoltContext, request_id: int, user_id: str) -> None:
    rollbacks.reject(deps_of(context), request_id=request_id, user_id=user_id)


def handle_cancel_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    """The requester cancels."""
    ack()
    request_id, user_id = decode_request_ref(action.get("value")), text_at(body, "user", "id")
    later(context, body, lanes_of(context).decide, lambda: _cancel(context, request_id, user_id))


def _cancel(context: BoltContext, request_id: int, user_id: str) -> None:
    rollbacks.cancel(deps_of(context), request_id=request_id, user_id=user_id)


def handle_deploy_abort_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    """An approver aborts a running deploy (stored in the database: the replica running it stops within one gate
    interval); a non-approver is refused privately, and audited."""
    ack()
    raw, user_id = str(action.get("value") or ""), text_at(body, "user", "id")
    later(context, body, lanes_of(context).decide, lambda: _abort(context, raw, user_id))


def _abort(context: BoltContext, raw: str, user_id: str) -> None:
    if not raw.isdigit():
        raise UsageError("This button does not name a deploy.")
    abort_deploy(deps_of(context), run_id=int(raw), user_id=user_id)
