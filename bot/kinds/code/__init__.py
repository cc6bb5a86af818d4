"""The ``code`` kind: shift Container Apps traffic back to a previous, still-active revision.

from bot.kinds.code import KIND as CODE_KIND
handle = environment.handle(CODE_KIND)      # CodeHandle: the port, the app, the health URL template
"""

from __future__ import annotations

from typing import Any

from bot.domain.kinds import CODE
from bot.domain.plan import Plan
from bot.domain.readiness import CheckKey
from bot.domain.signals import Dimension, Group
from bot.kinds.base import Kind
from bot.kinds.code.executor import TrafficShift
from bot.kinds.code.handle import CodeHandle
from bot.kinds.code.state import CodeState

__all__ = ["KIND", "CodeHandle", "CodeState"]


def _revision(plan: Plan[Any]) -> Group | None:
    """The revision a code rollback pins traffic to."""
    return Group(Dimension.revision, "", plan.choice) if plan.choice else None


KIND: Kind[CodeHandle] = Kind(
    name=CODE,
    key="container_app",
    title="Container app",
    component="container app",
    owns=frozenset({CheckKey.previous_revision}),
    bind=TrafficShift,
    decode=CodeState.from_json,
    restores=_revision,
)
