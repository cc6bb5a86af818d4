"""Small policy look-ups shared by the use-cases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.approval import ensure_transition
from bot.domain.model import RequestStatus, RollbackRequest, ServiceEnv
from bot.services import Deps


def approvers_mention(deps: Deps, target: ServiceEnv) -> str:
    """How a card pings the approvers (a user group, users, or nobody in particular)."""
    policy = deps.catalog.resolve(target.service, target.environment)
    parts = [f"<!subteam^{policy.approver_usergroup}>"] if policy.approver_usergroup else []
    parts += [f"<@{u}>" for u in policy.approver_users]
    return " ".join(parts) or "anyone on the team except the requester"


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
