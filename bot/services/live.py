"""Live state of every configured kind of one environment, with who pinned it (status, App Home, investigate)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

from bot.domain.facts import Facts
from bot.domain.kinds import KindName
from bot.domain.plan import Plan
from bot.domain.rollback_requests import RequestStatus, RollbackRequest, ServiceEnv
from bot.errors import RollbackBotError
from bot.kinds import BoundKind
from bot.services import Deps
from bot.services.policy import plan_of

RECENT = 50


def live_state(deps: Deps, target: ServiceEnv) -> list[Facts]:
    """One section per configured kind; one that cannot be read (or bound) says why instead."""
    env = deps.environment(target)
    with deps.read_snapshot():
        pins = _rollbacks_in_place(deps, target)
        sections = [_section(deps, name, bound, pins.get(name)) for name, bound in env.kinds.items()]
    for name, problem in env.problems.items():
        sections.append(Facts(_title(deps, name), notes=(f"unavailable: {problem}",)))
    return sections


def _title(deps: Deps, name: KindName) -> str:
    kind = deps.kinds.get(name)
    return kind.title if kind else name


def _section(deps: Deps, name: KindName, bound: BoundKind[Any], pin: tuple[RollbackRequest, Plan[Any]] | None) -> Facts:
    try:
        facts = bound.read().facts()
        if pin is not None and _still_in_place(bound, pin[1]):
            request = pin[0]
            since = (request.updated_at or request.created_at).astimezone(UTC)
            facts = facts.with_note(f"pinned by rollback #{request.id} since {since:%Y-%m-%d %H:%M} UTC")
        return facts
    except RollbackBotError as exc:
        return Facts(_title(deps, name), notes=(f"could not read live state: {exc.user_message}",))


def _still_in_place(bound: BoundKind[Any], plan: Plan[Any]) -> bool:
    """True when live state is exactly what the rollback wrote."""
    return plan.executable and bound.executes and bound.capture(plan) == plan.desired


def _rollbacks_in_place(deps: Deps, target: ServiceEnv) -> dict[KindName, tuple[RollbackRequest, Plan[Any]]]:
    """Per kind, the newest succeeded rollback (not a drill) and its plan."""
    recent: Sequence[RollbackRequest] = deps.requests.list_recent(target=target, limit=RECENT)
    found: dict[KindName, tuple[RollbackRequest, Plan[Any]]] = {}
    for request in recent:
        if request.status is RequestStatus.succeeded and not request.is_drill and request.kind not in found:
            found[request.kind] = (request, plan_of(deps, request))
    return found
