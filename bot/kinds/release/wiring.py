"""The release kind at the edge: composed of an environment's other kinds, bound where a release log exists."""

from __future__ import annotations

from bot.kinds.edge import ComposeContext, ComposedKind
from bot.kinds.release import KIND, ReleaseHandle


def bind(ctx: ComposeContext) -> ReleaseHandle | None:
    """Every executable kind of the environment as a layer (None without a release log or without any)."""
    if ctx.releases is None or not any(b.executes and not b.own_request for b in ctx.bound.values()):
        return None
    return ReleaseHandle(ctx.target, dict(ctx.bound), ctx.releases, ctx.kinds)


COMPOSED = ComposedKind(kind=KIND, bind=bind)
