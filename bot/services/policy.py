"""Small policy look-ups shared by the use-cases."""

from __future__ import annotations

from bot.domain.model import ServiceEnv
from bot.services import Deps


def approvers_mention(deps: Deps, target: ServiceEnv) -> str:
    """How a card pings the approvers (a user group, users, or nobody in particular)."""
    policy = deps.catalog.resolve(target.service, target.environment)
    parts = [f"<!subteam^{policy.approver_usergroup}>"] if policy.approver_usergroup else []
    parts += [f"<@{u}>" for u in policy.approver_users]
    return " ".join(parts) or "anyone on the team except the requester"
