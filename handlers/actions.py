"""Buttons on the request card: Approve, Reject, Cancel."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.services import rollbacks
from bot.slack.ids import SlackId
from bot.slack.payloads import decode_request_ref
from handlers.deps import deps_of
from handlers.errors import reported


def register(app: App) -> None:
    """Attach the card's button listeners."""
    app.action(SlackId.approve.value)(reported(handle_approve_action))
    app.action(SlackId.reject.value)(reported(handle_reject_action))
    app.action(SlackId.cancel.value)(reported(handle_cancel_action))


def handle_approve_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    """Approve; the card updates itself, refusals come back privately through the error handler."""
    ack()
    rollbacks.approve(deps_of(context), request_id=decode_request_ref(action.get("value")), user_id=body["user"]["id"])


def handle_reject_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    """Reject the request."""
    ack()
    rollbacks.reject(deps_of(context), request_id=decode_request_ref(action.get("value")), user_id=body["user"]["id"])


def handle_cancel_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    """The requester cancels."""
    ack()
    rollbacks.cancel(deps_of(context), request_id=decode_request_ref(action.get("value")), user_id=body["user"]["id"])
