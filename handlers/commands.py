"""The `/rollback` slash command."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_bolt.context.respond import Respond

from bot.services.commands import NotYetAvailable, Usage, handle_rollback_command
from bot.slack.blocks import build_notice, build_usage


def register(app: App) -> None:
    """Attach the `/rollback` listener."""
    app.command("/rollback")(handle_rollback_slash_command)


def handle_rollback_slash_command(ack: Ack, command: dict[str, str], respond: Respond, context: BoltContext) -> None:
    """Ack at once; the service decides; the reply goes back privately through response_url."""
    ack()
    reply = handle_rollback_command(
        context["deps"], user_id=command["user_id"], channel_id=command["channel_id"], text=command.get("text", "")
    )
    if isinstance(reply, Usage):
        respond(text="Rollback Bot usage", blocks=build_usage(reply.catalog, reply.lead), response_type="ephemeral")
    elif isinstance(reply, NotYetAvailable):
        text = f"`/rollback {reply.command.sub.value}` for {reply.policy.target} is not available in this version yet."
        respond(text=text, blocks=build_notice(text, emoji=":construction:"), response_type="ephemeral")
