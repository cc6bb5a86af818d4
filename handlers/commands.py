"""The `/rollback` slash command."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond

from bot.services.commands import CommandReply, History, Notice, NotYetAvailable, Status, Usage, handle_rollback_command
from bot.services.flow import FlowStart
from bot.slack.blocks import build_notice, build_status, build_usage
from bot.slack.cards import build_history
from bot.slack.views import build_target_view


def register(app: App) -> None:
    """Attach the `/rollback` listener."""
    app.command("/rollback")(handle_rollback_slash_command)


def handle_rollback_slash_command(ack: Ack, command: dict[str, str], respond: Respond, context: BoltContext) -> None:
    """Ack at once; the service decides; the modal opens, or the reply goes back privately."""
    ack()
    reply = handle_rollback_command(
        context["deps"], user_id=command["user_id"], channel_id=command["channel_id"], text=command.get("text", "")
    )
    if isinstance(reply, FlowStart):
        context.client.views_open(trigger_id=command["trigger_id"], view=build_target_view(reply.state, reply.options))
        return
    text, blocks = _render(reply)
    respond(text=text, blocks=blocks, response_type="ephemeral")


def _render(reply: CommandReply) -> tuple[str, list[dict[str, object]]]:
    if isinstance(reply, Usage):
        return "Rollback Bot usage", build_usage(reply.catalog, reply.lead)
    if isinstance(reply, Status):
        return f"Status of {reply.policy.target}", build_status(str(reply.policy.target), reply.lines, reply.in_flight)
    if isinstance(reply, History):
        return f"Recent rollbacks of {reply.policy.target}", build_history(reply.requests)
    if isinstance(reply, Notice):
        return reply.text, build_notice(reply.text, emoji=":information_source:")
    assert isinstance(reply, NotYetAvailable)
    text = f"`/rollback {reply.command.sub.value}` for {reply.policy.target} is not available in this version yet."
    return text, build_notice(text, emoji=":construction:")
