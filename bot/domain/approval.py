"""The two-person rule: transitions as data, one guard and one typed error per refusal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.people import SlackUserInfo
from bot.domain.rollback_requests import RequestStatus, RollbackRequest
from bot.errors import (
    AlreadyDecidedError,
    ApprovalExpiredError,
    NotAllowedError,
    NotApproverError,
    NotMemberError,
    SelfApprovalError,
)
from bot.text import Mention, Text

S = RequestStatus
TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    S.pending: frozenset({S.approved, S.rejected, S.cancelled, S.expired}),
    S.approved: frozenset({S.executing, S.failed, S.cancelled}),
    S.executing: frozenset({S.succeeded, S.failed}),
    S.succeeded: frozenset(),
    S.failed: frozenset(),
    S.rejected: frozenset(),
    S.cancelled: frozenset(),
    S.expired: frozenset(),
}


@dataclass(frozen=True)
class ApproverRule:
    """Who may approve for one service/environment."""

    usergroup: str | None
    users: tuple[str, ...]

    @property
    def restricted(self) -> bool:
        """True when approvers are configured (otherwise any human member may approve)."""
        return bool(self.usergroup or self.users)


def already_decided(request: RollbackRequest) -> Text:
    """'Request #N is already STATUS [by WHO].' (who decided, as a mention)."""
    if request.approver_id:
        return Text.of(
            f"Request #{request.id} is already {request.status.value} by {{who}}.",
            who=Mention.user(request.approver_id),
        )
    return Text(f"Request #{request.id} is already {request.status.value}.")


def ensure_transition(request: RollbackRequest, to: RequestStatus) -> None:
    """Refuse a state change the machine does not allow."""
    if to not in TRANSITIONS[request.status]:
        raise AlreadyDecidedError(
            f"Request #{request.id} is already {request.status.value}; it cannot become {to.value}."
        )


def ensure_pending(request: RollbackRequest) -> None:
    """Only a pending request can be decided."""
    if request.status is not RequestStatus.pending:
        raise AlreadyDecidedError(already_decided(request))


def ensure_not_expired(request: RollbackRequest, now: datetime) -> None:
    """A request past its expiry cannot be approved."""
    if now >= request.expires_at:
        raise ApprovalExpiredError(
            f"Request #{request.id} expired at {request.expires_at:%Y-%m-%d %H:%M} UTC; "
            "open a new one with `/rollback`."
        )


def ensure_not_requester(request: RollbackRequest, user_id: str) -> None:
    """The approver is never the requester."""
    if user_id == request.requester_id:
        raise SelfApprovalError(f"You opened request #{request.id}; a second person must approve it (two-person rule).")


def ensure_member(user: SlackUserInfo | None, workspace_id: str | None) -> SlackUserInfo:
    """The requester is a full member of the workspace that installed the bot."""
    if user is None:
        raise NotMemberError("Your Slack account could not be found, so you cannot use rollbacks.")
    why = user.why_not_a_member(workspace_id)
    if why:
        raise NotMemberError(
            f"Only full members of this workspace can use rollbacks; your account is {why}. "
            "Ask a member of the team to open the request."
        )
    return user


def ensure_approver(
    rule: ApproverRule, user: SlackUserInfo | None, group_members: frozenset[str], workspace_id: str | None = None
) -> None:
    """The approver is a full member of the workspace, and one of the configured approvers (if any are)."""
    if user is None:
        raise NotApproverError("Your Slack account could not be found, so you cannot approve.")
    if user.why_not_a_member(workspace_id):
        raise NotApproverError(
            "Only full human members of this workspace can approve rollbacks "
            "(not bots, guests, Slack Connect users or deactivated accounts)."
        )
    if not rule.restricted:
        return
    if user.id in rule.users or user.id in group_members:
        return
    if rule.usergroup:
        raise NotApproverError(
            Text.of("Only members of {group} can approve this rollback.", group=Mention.usergroup(rule.usergroup))
        )
    raise NotApproverError("Only the configured approvers can approve this rollback.")


def ensure_requester(request: RollbackRequest, user_id: str) -> None:
    """Only the requester may cancel their request."""
    if user_id != request.requester_id:
        raise NotAllowedError(
            Text.of(
                f"Only {{who}}, who opened request #{request.id}, can cancel it.",
                who=Mention.user(request.requester_id),
            )
        )
