"""Thin Bolt listeners, grouped by Slack surface: ack → parse → one service call → render."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Deps
from handlers import actions, flow, home, middleware, slash


def register(app: App, deps: Deps) -> None:
    """Attach middleware, the error handler and every listener to ``app``."""
    middleware.register(app, deps)
    slash.register(app)
    flow.register(app)
    actions.register(app)
    home.register(app)
