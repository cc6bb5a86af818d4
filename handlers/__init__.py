"""Thin Bolt listeners, grouped by Slack surface: ack → parse → one service call → render."""

from __future__ import annotations

from slack_bolt import App

from bot.lifecycle import Lanes
from bot.services import Deps
from bot.services.home import BoardCache
from handlers import actions, flow, home, middleware, slash


def register(app: App, deps: Deps, lanes: Lanes, boards: BoardCache) -> None:
    """Attach middleware, the error handler and every listener to ``app``; listeners hand work to ``lanes``."""
    middleware.register(app, deps, lanes, boards)
    slash.register(app)
    flow.register(app)
    actions.register(app)
    home.register(app)
