"""The ``release`` kind: every layer of a service/environment back to a recorded release, in one request.

It is made of the environment's other kinds (it has no configuration block of its own): its plan lists,
per layer, live → recorded for the items that differ, each planned by its own kind; after one approval it
runs them stage by stage (code first), each verified, and stops at the first failure.
"""

from __future__ import annotations

from typing import Any

from bot.domain.kinds import RELEASE
from bot.domain.plan import Plan
from bot.domain.signals import Group
from bot.kinds.base import Kind
from bot.kinds.release.executor import ReleaseRollback
from bot.kinds.release.handle import ReleaseHandle
from bot.kinds.release.state import LayerChange, ReleaseState

__all__ = ["KIND", "LayerChange", "ReleaseHandle", "ReleaseState"]


def _proof(plan: Plan[Any]) -> Group | None:
    """What the proof after a release rollback watches (chosen when it was planned, by the items' own kinds)."""
    return plan.desired.proof if isinstance(plan.desired, ReleaseState) else None


KIND: Kind[ReleaseHandle] = Kind(
    name=RELEASE,
    key="release",
    title="Release",
    component="release history",
    bind=lambda handle, services: ReleaseRollback(handle),
    decode=ReleaseState.from_json,
    restores=_proof,
)
