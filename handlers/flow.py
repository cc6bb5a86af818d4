"""The guided-flow modal: each submission acks at once (with a loading view), then renders the next step."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond

from bot.domain.tree import FlowState, Step, next_step
from bot.errors import RollbackBotError, UsageError
from bot.services import flow, rollbacks
from bot.slack import payloads
from bot.slack.blocks import build_notice
from bot.slack.cards import build_request_posted, posted_text
from bot.slack.ids import SlackId
from bot.slack.mrkdwn import render
from bot.slack.views import (
    build_error_view,
    build_investigation,
    build_kind_view,
    build_loading_view,
    build_plan_view,
)
from handlers.deps import deps_of, lanes_of
from handlers.errors import reported, tell_in
from handlers.later import later

log = logging.getLogger("rollback_bot.slack")


def register(app: App) -> None:
    """Attach the modal's submission and action listeners."""
    app.view(SlackId.flow_target_view.value)(reported(handle_target_submission))
    app.view(SlackId.flow_kind_view.value)(reported(handle_kind_submission))
    app.view(SlackId.flow_plan_view.value)(reported(handle_plan_submission))
    app.action(SlackId.choice_select.value)(reported(handle_choice_action))
    app.action(SlackId.proceed.value)(reported(handle_proceed_action))
    app.action(SlackId.drift_rollback.value)(reported(handle_drift_rollback_action))


def _state(body: dict[str, Any], context: BoltContext) -> FlowState:
    return FlowState.decode(payloads.text_at(body, "view", "private_metadata"), deps_of(context).kinds)


def _values(body: dict[str, Any]) -> payloads.Values:
    return payloads.state_values(body)


def handle_target_submission(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Step 1 answered: go to 'what changed?', or to investigate-first when it is not an emergency."""
    errors = payloads.step_one_errors(_values(body))
    if errors:
        ack(response_action="errors", errors=errors)
        return
    service, environment = payloads.read_target(_values(body))
    emergency = payloads.read_emergency(_values(body))
    state = _state(body, context).with_(service=service, environment=environment, emergency=emergency)
    read = lanes_of(context).read
    if next_step(state) is Step.investigate:
        ack()
        later(context, body, read, lambda: _investigate(context, payloads.text_at(body, "user", "id"), state))
        return
    ack(response_action="update", view=build_loading_view(state))
    view_id = payloads.text_at(body, "view", "id")
    later(context, body, read, lambda: _show_what_changed(context, view_id, state))


def _investigate(context: BoltContext, user_id: str, state: FlowState) -> None:
    found = flow.investigate(deps_of(context), state)
    context.client.chat_postEphemeral(
        channel=state.channel_id,
        user=user_id,
        text="Investigate first",
        blocks=build_investigation(found.state, found.events, found.live, found.errors),
    )


def _show_what_changed(context: BoltContext, view_id: str, state: FlowState) -> None:
    found = flow.what_changed(deps_of(context), state)
    options = [(o.kind, o.executable, o.note) for o in found.options]
    labels = {str(o.kind): o.label for o in found.options if o.label}
    recommended = found.recommended if found.recommended else None
    view = build_kind_view(state, found.events, options, recommended, found.errors, labels=labels, reason=found.reason)
    context.client.views_update(view_id=view_id, view=view)


def _show_plan(context: BoltContext, view_id: str, state: FlowState) -> None:
    plan = flow.preview(deps_of(context), state)
    context.client.views_update(view_id=view_id, view=build_plan_view(state, plan))


def handle_kind_submission(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Step 2 answered: show the plan from live state."""
    try:
        state = _state(body, context).with_(kind=payloads.read_kind(_values(body), deps_of(context).kinds), choice=None)
    except UsageError as exc:
        ack(response_action="errors", errors={SlackId.kind_block.value: exc.user_message})
        return
    ack(response_action="update", view=build_loading_view(state, "Building the plan from live state…"))
    view_id = payloads.text_at(body, "view", "id")
    later(context, body, lanes_of(context).read, lambda: _show_plan(context, view_id, state))


def handle_choice_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    """Another target picked in the plan step: re-plan for it."""
    ack()
    state = _state(body, context).with_(choice=payloads.text_at(action, "selected_option", "value"))
    view_id = payloads.text_at(body, "view", "id")
    later(context, body, lanes_of(context).read, lambda: _show_plan(context, view_id, state))


def handle_plan_submission(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Step 3 answered: the modal closes (the card it talks about is in the channel behind it); the request is opened
    (re-planned from live state), its card posted, and the requester told privately where it is."""
    state = _state(body, context).with_(choice=payloads.read_choice(_values(body)) or _state(body, context).choice)
    reason = payloads.read_reason(_values(body)).strip()
    if not reason:
        ack(response_action="errors", errors={SlackId.reason_block.value: "Say briefly why you are rolling back."})
        return
    ack(response_action="clear")
    user_id = payloads.text_at(body, "user", "id")
    later(context, body, lanes_of(context).decide, lambda: _open_request(context, user_id, state, reason))


def _open_request(context: BoltContext, user_id: str, state: FlowState, reason: str) -> None:
    """Open the request; the requester gets a private confirmation linking the card, or why it was refused."""
    try:
        request = rollbacks.open_request(deps_of(context), state=state, reason=reason, requester_id=user_id)
    except Exception as error:  # the dialog is closed: say it in the channel, to this person only
        tell_in(context, state.channel_id, user_id, error)
        return
    link = None
    try:
        link = context.client.chat_getPermalink(channel=request.channel_id, message_ts=request.message_ts or "")[
            "permalink"
        ]
    except Exception:  # the confirmation then names the channel instead of linking the card
        log.warning("no permalink for the card of request #%s", request.id, exc_info=True)
    context.client.chat_postEphemeral(
        channel=request.channel_id,
        user=user_id,
        text=posted_text(request),
        blocks=build_request_posted(request, str(link) if link else None),
    )


def handle_proceed_action(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """'Proceed to rollback' after investigating: open the modal at 'what changed?', retire the button."""
    ack()
    state = FlowState.decode(payloads.text_at(action, "value"), deps_of(context).kinds)
    later(context, body, lanes_of(context).decide, lambda: _proceed(context, body, respond, state))


def _proceed(context: BoltContext, body: dict[str, Any], respond: Respond, state: FlowState) -> None:
    """The dialog opens at once (a trigger lasts 3 s); the timeline follows from the read lane."""
    opened = context.client.views_open(trigger_id=payloads.text_at(body, "trigger_id"), view=build_loading_view(state))
    text = f"Proceeding to the rollback of {state.service}/{state.environment} (in the dialog)."
    respond(text=render(text), blocks=build_notice(text, emoji=":arrow_right:"), replace_original=True)
    view_id = opened["view"]["id"]
    later(context, body, lanes_of(context).read, lambda: _show_what_changed(context, view_id, state), once=False)


def handle_drift_rollback_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
    """'Back to release #N…' on a drift alert: the modal opens at the plan back to that release."""
    ack()
    state = FlowState.decode(payloads.text_at(action, "value"), deps_of(context).kinds)
    later(context, body, lanes_of(context).decide, lambda: _open_at_plan(context, body, state))


def _open_at_plan(context: BoltContext, body: dict[str, Any], state: FlowState) -> None:
    """The dialog opens at once (a trigger lasts 3 s); the plan follows from the read lane, or why there is none."""
    loading = build_loading_view(state, "Building the plan from live state…")
    opened = context.client.views_open(trigger_id=payloads.text_at(body, "trigger_id"), view=loading)
    view_id = opened["view"]["id"]

    def show() -> None:
        try:
            _show_plan(context, view_id, state)
        except RollbackBotError as exc:  # told in the dialog that is open (the drift post has no view)
            context.client.views_update(view_id=view_id, view=build_error_view(render(exc.text)))

    later(context, body, lanes_of(context).read, show, once=False)
