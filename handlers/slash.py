"""The `/rollback` slash command."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond

from bot.domain.slash_command import reads_live_state
from bot.services.flow import FlowStart
from bot.services.slash_replies import (
    ChecklistNow,
    CommandReply,
    History,
    Notice,
    Releases,
    Status,
    Usage,
    handle_rollback_command,
)
from bot.slack.blocks import build_notice, build_status, build_usage, to_dicts
from bot.slack.cards import build_history
from bot.slack.checklist_blocks import build_checklist_details, build_checklist_summary, summary_text
from bot.slack.deploy_blocks import freeze_blocks
from bot.slack.mrkdwn import render
from bot.slack.payloads import text_at
from bot.slack.release_blocks import build_releases
from bot.slack.views import build_target_view
from handlers.deps import deps_of, lanes_of
from handlers.errors import reported
from handlers.later import later

WORKING = ":hourglass_flowing_sand: Working on it…"


def register(app: App) -> None:
    """Attach the `/rollback` listener."""
    app.command("/rollback")(reported(handle_rollback_slash_command))


def handle_rollback_slash_command(
    ack: Ack, command: dict[str, str], body: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """Ack at once (saying so when the answer reads live state: it takes a while); the reply follows from a lane."""
    lanes = lanes_of(context)
    slow = reads_live_state(command.get("text", ""))
    lane = lanes.read if slow else lanes.decide
    if slow:
        ack(text=WORKING)
    else:
        ack()
    later(context, body, lane, lambda: _answer(context, respond, command))


def _answer(context: BoltContext, respond: Respond, command: dict[str, str]) -> None:
    """The service decides; the modal opens, or the reply goes back privately."""
    reply = handle_rollback_command(
        deps_of(context),
        user_id=text_at(command, "user_id"),
        channel_id=text_at(command, "channel_id"),
        text=command.get("text", ""),
    )
    if isinstance(reply, FlowStart):
        context.client.views_open(
            trigger_id=text_at(command, "trigger_id"), view=build_target_view(reply.state, reply.options)
        )
        return
    text, blocks = _render(reply)
    respond(text=text, blocks=blocks, response_type="ephemeral")


def _render(reply: CommandReply) -> tuple[str, list[dict[str, object]]]:
    if isinstance(reply, Usage):
        return "Rollback Bot usage", build_usage(reply.catalog, reply.lead)
    if isinstance(reply, Status):
        blocks = build_status(str(reply.policy.target), reply.live, reply.in_flight)
        if reply.freeze is not None:
            blocks[1:1] = to_dicts(freeze_blocks([reply.freeze]))
        return render(f"Status of {reply.policy.target}"), blocks
    if isinstance(reply, History):
        return render(f"Recent rollbacks of {reply.policy.target}"), build_history(reply.requests)
    if isinstance(reply, Releases):
        return render(f"Releases of {reply.policy.target}"), build_releases(reply.policy.target, reply.releases)
    if isinstance(reply, ChecklistNow):
        blocks = build_checklist_summary(reply.report) + build_checklist_details(reply.report)
        return summary_text(reply.report), blocks[:50]
    assert isinstance(reply, Notice)  # FlowStart opened the modal above
    return render(reply.text), build_notice(reply.text, emoji=":information_source:")
