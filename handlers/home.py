"""The App Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.slack.blocks import build_home


def register(app: App) -> None:
    """Attach the App Home listener."""
    app.event("app_home_opened")(handle_home_opened_event)


def handle_home_opened_event(event: dict[str, Any], context: BoltContext) -> None:
    """Publish the home view for the person who opened it."""
    if event.get("tab", "home") != "home":
        return
    context.client.views_publish(user_id=event["user"], view=build_home(context["deps"].catalog))
