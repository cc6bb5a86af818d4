"""The typed way a listener reaches the bot's dependencies (installed on every request by the middleware)."""

from __future__ import annotations

from slack_bolt import BoltContext

from bot.lifecycle import Lanes
from bot.services import Deps
from bot.services.home import BoardCache

_KEY = "rollback_bot_deps"
_LANES = "rollback_bot_lanes"
_BOARDS = "rollback_bot_boards"


def install(context: BoltContext, deps: Deps, lanes: Lanes, boards: BoardCache) -> None:
    """Make ``deps``, the work lanes and App Home's board available to the listeners of this request."""
    context[_KEY] = deps
    context[_LANES] = lanes
    context[_BOARDS] = boards


def deps_of(context: BoltContext) -> Deps:
    """The bot's dependencies for this request.

    Raises:
        RuntimeError: the middleware did not run (a listener registered outside ``handlers.register``).
    """
    deps = context.get(_KEY)
    if not isinstance(deps, Deps):
        raise RuntimeError("the rollback-bot middleware did not install its dependencies on this request")
    return deps


def maybe_deps(context: BoltContext) -> Deps | None:
    """The dependencies when installed (error reporting also runs before the middleware)."""
    deps = context.get(_KEY)
    return deps if isinstance(deps, Deps) else None


def lanes_of(context: BoltContext) -> Lanes:
    """Where this request's work goes after the ack."""
    lanes = context.get(_LANES)
    if not isinstance(lanes, Lanes):
        raise RuntimeError("the rollback-bot middleware did not install its work lanes on this request")
    return lanes


def boards_of(context: BoltContext) -> BoardCache:
    """App Home's cached readiness board."""
    boards = context.get(_BOARDS)
    if not isinstance(boards, BoardCache):
        raise RuntimeError("the rollback-bot middleware did not install App Home's board on this request")
    return boards
