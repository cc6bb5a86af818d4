"""Buttons on the request card: Approve, Reject, Cancel."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond

from bot.errors import UsageError
from bot.services import rollbacks
from bot.services.deploy.freezes import abort_deploy
from bot.slack.blocks import build_notice
from bot.slack.decision_views import build_reject_view
from bot.slack.ids import SlackId
from bot.slack.payloads import decode_channel, decode_request_ref, read_reject_reason, state_values, text_at
from handlers.deps import deps_of, lanes_of
from handlers.errors import reported, tell_in
from handlers.later import later


def register(app: App) -> None:
    """Attach the card's button listeners."""
    app.action(SlackId.approve.value)(reported(handle_approve_action))
    app.action(SlackId.reject.value)(reported(handle_reject_action))
    app.action(SlackId.cancel.value)(reported(handle_cancel_action))
    app.action(SlackId.deploy_abort.value)(reported(handle_deploy_abort_action))
    app.view(SlackId.reject_view.value)(reported(handle_reject_submission))


def handle_approve_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    """Approve; the card updates itself, refusals come back privately through the error handler."""
    ack()
    request_id, user_id = decode_request_ref(action.get("value")), text_at(body, "user", "id")
    later(context, body, lanes_of(context).decide, lambda: _approve(context, request_id, user_id))


def _approve(context: BoltContext, request_id: int, user_id: str) -> None:
    rollbacks.approve(deps_of(context), request_id=request_id, user_id=user_id)


def handle_reject_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    """Reject…: someone who may reject is asked why (a short dialog); anyone else is refused privately."""
    ack()
    request_id, user_id = decode_request_ref(action.get("value")), text_at(body, "user", "id")
    trigger = text_at(body, "trigger_id")
    later(context, body, lanes_of(context).decide, lambda: _ask_why(context, request_id, user_id, trigger))


def _ask_why(context: BoltContext, request_id: int, user_id: str, trigger_id: str) -> None:
    request = rollbacks.may_reject(deps_of(context), request_id=request_id, user_id=user_id)
    context.client.views_open(trigger_id=trigger_id, view=build_reject_view(request))


def handle_reject_submission(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """The reject dialog answered: it closes, the request is rejected with the reason (or the refusal is told)."""
    reason = read_reject_reason(state_values(body))
    if not reason:
        ack(response_action="errors", errors={SlackId.reject_reason_block.value: "Say briefly why you reject it."})
        return
    metadata = text_at(body, "view", "private_metadata")
    request_id, channel_id = decode_request_ref(metadata), decode_channel(metadata)
    ack(response_action="clear")
    user_id = text_at(body, "user", "id")

    def reject() -> None:
        try:
            rollbacks.reject(deps_of(context), request_id=request_id, user_id=user_id, reason=reason)
        except Exception as error:  # the dialog is closed: say it in the request's channel, to this person only
            if channel_id is None:
                raise
            tell_in(context, channel_id, user_id, error)

    later(context, body, lanes_of(context).decide, reject)


def handle_cancel_action(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """The requester cancels (from their private confirmation): the confirmation then says so."""
    ack()
    request_id, user_id = decode_request_ref(action.get("value")), text_at(body, "user", "id")
    later(context, body, lanes_of(context).decide, lambda: _cancel(context, body, respond, request_id, user_id))


def _cancel(context: BoltContext, body: dict[str, Any], respond: Respond, request_id: int, user_id: str) -> None:
    rollbacks.cancel(deps_of(context), request_id=request_id, user_id=user_id)
    if body.get("response_url"):
        text = f"Request #{request_id} is cancelled."
        respond(text=text, blocks=build_notice(text, emoji=":heavy_multiplication_x:"), replace_original=True)


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
