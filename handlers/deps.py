"""The typed way a listener reaches the bot's dependencies (installed on every request by the middleware)."""

from __future__ import annotations

from slack_bolt import BoltContext

from bot.services import Deps

_KEY = "rollback_bot_deps"


def install(context: BoltContext, deps: Deps) -> None:
    """Make ``deps`` available to the listeners of this request."""
    context[_KEY] = deps


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
