"""The App Home tab: the readiness board."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.services.home import readiness
from bot.slack.home import build_home
from handlers.deps import deps_of
from handlers.errors import reported


def register(app: App) -> None:
    """Attach the App Home listener."""
    app.event("app_home_opened")(reported(handle_home_opened_event))


def handle_home_opened_event(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    """Publish the readiness board for the person who opened the tab."""
    if event.get("tab", "home") != "home":
        return
    deps = deps_of(context)
    boards = [(str(r.policy.target), r.live, r.checklist, r.last_drill, r.in_flight) for r in readiness(deps)]
    context.client.views_publish(user_id=event["user"], view=build_home(deps.catalog, boards))
