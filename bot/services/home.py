"""The App Home readiness board: per service/environment, live state and the last checklist, drill and requests."""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bot.domain.catalog import EnvironmentPolicy
from bot.domain.facts import Facts
from bot.domain.readiness import ChecklistReport, DrillRecord
from bot.domain.rollback_requests import RollbackRequest
from bot.services import Deps
from bot.services.live import live_state


@dataclass(frozen=True)
class Readiness:
    """What a platform owner wants to see at a glance for one service/environment."""

    policy: EnvironmentPolicy
    live: tuple[Facts, ...]
    checklist: ChecklistReport | None
    last_drill: DrillRecord | None
    in_flight: RollbackRequest | None


def readiness(deps: Deps, *, parallelism: int = 8) -> list[Readiness]:
    """One board entry per configured environment (live reads run in parallel, bounded)."""
    policies = list(deps.catalog.environments)
    if not policies:
        return []
    with deps.read_snapshot(), ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(policies)))) as pool:
        futures = [pool.submit(contextvars.copy_context().run, _one, deps, p) for p in policies]
        return [f.result() for f in futures]


def _one(deps: Deps, policy: EnvironmentPolicy) -> Readiness:
    live = live_state(deps, policy.target)
    drills = deps.drills.recent(policy.target, limit=1)
    return Readiness(
        policy=policy,
        live=tuple(live),
        checklist=deps.checklists.latest(policy.target),
        last_drill=drills[0] if drills else None,
        in_flight=deps.requests.find_in_flight(policy.target),
    )
