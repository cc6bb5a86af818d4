"""The App Home tab: the readiness board, from a short-lived cache (a stale board with its age, never a slow one)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext

from bot.services import Deps
from bot.services.home import Board, show_home
from bot.slack.home import build_home
from bot.slack.payloads import text_at
from handlers.deps import boards_of, deps_of, lanes_of
from handlers.errors import reported
from handlers.later import later

log = logging.getLogger("rollback_bot.home")


def register(app: App) -> None:
    """Attach the App Home listener."""
    app.event("app_home_opened")(reported(handle_home_opened_event))


def handle_home_opened_event(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    """Publish the board for the person who opened the tab: at once from the cache, then fresh if it was old."""
    if event.get("tab", "home") != "home":
        return
    user_id = text_at(event, "user")
    lanes = lanes_of(context)

    def show() -> None:
        show_home(
            deps_of(context),
            boards_of(context),
            user_id,
            publish=lambda user, board: _publish(context, user, board),
            in_background=lambda job: lanes.read.offer(lambda: _logged(deps_of(context), job)),
        )

    later(context, body, lanes.home, show)


def _logged(deps: Deps, job: Callable[[], None]) -> None:
    try:
        job()
    except Exception as exc:  # the board stays as it was; the next opening tries again
        failure = deps.slack_failure(exc)
        if failure is not None:
            log.warning("refreshing App Home's board: %s", failure)
        else:
            log.exception("refreshing App Home's board failed")


def _publish(context: BoltContext, user_id: str, board: Board | None) -> None:
    deps = deps_of(context)
    readiness = board.entries if board else ()
    entries = [(str(r.policy.target), r.live, r.checklist, r.last_drill, r.in_flight) for r in readiness]
    frozen = {str(r.policy.target): r.freeze for r in readiness if r.freeze is not None}
    view = build_home(deps.catalog, entries, as_of=board.at if board else None, now=deps.clock(), freezes=frozen)
    context.client.views_publish(user_id=user_id, view=view)
