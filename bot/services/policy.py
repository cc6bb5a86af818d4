"""Small policy look-ups shared by the use-cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.approval import ensure_transition
from bot.domain.plan import Plan
from bot.domain.rollback_requests import RequestStatus, RollbackRequest, ServiceEnv
from bot.services import Deps
from bot.text import Mention


def approvers_of(deps: Deps, target: ServiceEnv) -> tuple[Mention, ...]:
    """Whom a card pings: the approvers' user group and users (none: anyone but the requester may approve)."""
    policy = deps.catalog.resolve(target.service, target.environment)
    group = (Mention.usergroup(policy.approver_usergroup),) if policy.approver_usergroup else ()
    return group + tuple(Mention.user(u) for u in policy.approver_users)


def plan_of(deps: Deps, request: RollbackRequest) -> Plan[Any]:
    """The request's stored plan as a value (legacy plans are shown, never executed)."""
    return deps.kinds.decode_plan(request.plan)


def move(
    deps: Deps,
    request: RollbackRequest,
    to: RequestStatus,
    *,
    approver_id: str | None = None,
    decided_at: datetime | None = None,
    result: dict[str, Any] | None = None,
) -> RollbackRequest:
    """Every state change: allowed by the state machine, then one atomic conditional update in the database."""
    ensure_transition(request, to)
    return deps.requests.transition(
        request.id,
        from_status=request.status,
        to_status=to,
        version=request.version,
        approver_id=approver_id,
        decided_at=decided_at,
        result=result,
    )
