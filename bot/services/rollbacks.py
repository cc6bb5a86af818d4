"""The request lifecycle under the two-person rule: open, approve, reject, cancel, expire."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.domain import approval
from bot.domain.catalog import EnvironmentPolicy
from bot.domain.plan import Plan
from bot.domain.rollback_requests import NewRequest, RequestStatus, RollbackRequest, ServiceEnv
from bot.domain.tree import FlowState
from bot.errors import (
    AlreadyDecidedError,
    ApprovalExpiredError,
    SamePersonError,
    SlackApiError,
    StalePlanError,
    UsageError,
)
from bot.kinds import encode_plan
from bot.services import Deps
from bot.services.audit import audited, record
from bot.services.execution import start_execution
from bot.services.flow import check_target, ensure_member, preview
from bot.services.policy import approvers_of, move, plan_of
from bot.text import Mention, Text

MAX_REASON = 1000
FOLLOWED_WITHIN = 50  # how many recent requests of the target a follow-up's first request is looked for in


def open_request(deps: Deps, *, state: FlowState, reason: str, requester_id: str) -> RollbackRequest:
    """Re-plan from live state, store the request (one in flight per target) and post its card."""
    reason = reason.strip()
    if not reason:
        raise UsageError("Say briefly why you are rolling back.")
    if len(reason) > MAX_REASON:
        raise UsageError(f"The reason is too long ({len(reason)} characters; at most {MAX_REASON}).")

    def may_open() -> EnvironmentPolicy:
        ensure_member(deps, requester_id)
        return check_target(deps, state)

    policy = audited(deps, actor=requester_id, request_id=None, action="open", check=may_open, target=_target_of(state))
    plan = preview(deps, state)
    if not plan.executable:
        raise UsageError(plan.blocked_reason or "This plan cannot be executed.")
    if plan.follows:
        audited(
            deps,
            actor=requester_id,
            request_id=None,
            action="open",
            check=lambda: _not_its_approver(deps, policy.target, plan.follows, requester_id),
        )
    new = NewRequest(
        target=policy.target,
        kind=plan.kind,
        requester_id=requester_id,
        channel_id=state.channel_id,
        emergency=bool(state.emergency),
        reason=reason,
        plan=encode_plan(plan),
        ttl=timedelta(minutes=policy.approval_ttl_minutes),
    )
    request = audited(
        deps,
        actor=requester_id,
        request_id=None,
        action="open",
        check=lambda: deps.requests.add(new),
        target=new.target,
    )
    record(
        deps,
        "request.opened",
        actor=requester_id,
        request_id=request.id,
        kind=plan.kind,
        target=str(policy.target),
        current=plan.current_text,
        desired=plan.desired_text,
        reason=reason,
    )
    deps.metrics.count("requests", target=policy.target, kind=plan.kind)
    try:
        ts = deps.notifier.post_card(request, plan, approvers=approvers_of(deps, policy.target))
    except SlackApiError:
        # Nobody could approve a request without its card: close it so it does not hold the slot.
        _close(
            deps, request, RequestStatus.cancelled, actor="rollback-bot", note="The request card could not be posted."
        )
        raise
    deps.requests.set_message(request.id, ts)
    return deps.requests.get(request.id)


def _target_of(state: FlowState) -> ServiceEnv | None:
    return ServiceEnv(state.service, state.environment) if state.service and state.environment else None


def approve(deps: Deps, *, request_id: int, user_id: str) -> RollbackRequest:
    """Approve (two-person rule, expiry, stale-plan guard, exactly once) and start execution in the background.

    Once the approval is committed the execution is started whatever happens next; should that fail too,
    the claim loop of any replica picks the approved request up within seconds.
    """
    request = deps.requests.get(request_id)

    def check() -> RollbackRequest:
        approval.ensure_pending(request)
        _ensure_fresh(deps, request)
        approval.ensure_not_requester(request, user_id)
        _ensure_approver(deps, request, user_id)
        _ensure_plan_still_valid(deps, request, user_id)
        return move(deps, request, RequestStatus.approved, approver_id=user_id, decided_at=deps.clock())

    approved = audited(deps, actor=user_id, request_id=request_id, action="approve", check=check, target=request.target)
    try:
        record(deps, "request.approved", actor=user_id, request_id=request_id)
        deps.metrics.count("decisions", target=request.target, decision="approved")
        note = Text.of("Approved by {who}; executing…", who=Mention.user(user_id))
        deps.notifier.update_card(approved, plan_of(deps, approved), note=note)
    finally:
        start_execution(deps, request_id)
    return approved


def _ensure_approver(deps: Deps, request: RollbackRequest, user_id: str) -> None:
    """A full member of the workspace and, when approvers are configured, one of them."""
    policy = deps.catalog.resolve(request.target.service, request.target.environment)
    rule = approval.ApproverRule(policy.approver_usergroup, policy.approver_users)
    members = deps.directory.usergroup_members(rule.usergroup) if rule.usergroup else frozenset()
    approval.ensure_approver(rule, deps.directory.user(user_id), members, deps.directory.workspace_id())


def _ensure_fresh(deps: Deps, request: RollbackRequest) -> None:
    """An expired request is marked Expired (once) and refused."""
    try:
        approval.ensure_not_expired(request, deps.requests.now())
    except ApprovalExpiredError:
        _close(deps, request, RequestStatus.expired, actor="system", note="Expired before anyone approved it.")
        raise


def _ensure_plan_still_valid(deps: Deps, request: RollbackRequest, user_id: str) -> None:
    """Stale-plan guard: re-plan from live state; if the starting point moved, refuse and show the new plan.

    The whole state is compared (for code: every traffic rule with its label and form, the active
    revisions, the latest revision). A request stored by an earlier version is always stale.
    """
    old = plan_of(deps, request)
    if old.legacy:
        note = "Stale plan: this request was stored by an earlier version of rollback-bot and cannot be executed."
        _close(deps, request, RequestStatus.cancelled, actor=user_id, note=note)
        deps.notifier.post_thread(request, note + " Open a new request with `/rollback` if still needed.")
        raise StalePlanError(note)
    state = FlowState(
        request.channel_id,
        request.target.service,
        request.target.environment,
        request.emergency,
        request.kind,
        old.choice,
    )
    new: Plan[Any] | None = None
    why = ""
    try:
        new = preview(deps, state)
    except UsageError as exc:
        why = exc.user_message
    if new is not None and old.same_starting_point(new):
        return
    now_text = new.current_text if new else why
    note = f"Stale plan: live state moved since the request (was: {old.current_text}; now: {now_text})."
    _close(deps, request, RequestStatus.cancelled, actor=user_id, note=note)
    lines = [f"New plan: {new.current_text} → {new.desired_text}", *new.commands] if new else [why]
    deps.notifier.post_thread(request, note + " Open a new request with `/rollback` if still needed.", lines=lines)
    raise StalePlanError(note + (f" New plan: {new.current_text} → {new.desired_text}." if new else ""))


def _close(deps: Deps, request: RollbackRequest, status: RequestStatus, *, actor: str, note: str) -> None:
    """Move a pending request to a terminal state; if someone else already moved it, leave it be."""
    try:
        closed = move(deps, request, status, decided_at=deps.clock(), result={"note": note})
    except AlreadyDecidedError:
        return
    record(deps, f"request.{status.value}", actor=actor, request_id=request.id, note=note)
    deps.metrics.count("decisions", target=request.target, decision=status.value)
    deps.notifier.update_card(closed, plan_of(deps, closed), note=note)


def may_reject(deps: Deps, *, request_id: int, user_id: str) -> RollbackRequest:
    """Refuse (audited) someone who may not reject this request now: it is not pending, or they are neither an
    approver nor the requester. The request, for the dialog that asks why."""
    request = deps.requests.get(request_id)

    def check() -> None:
        approval.ensure_pending(request)
        if user_id != request.requester_id:
            _ensure_approver(deps, request, user_id)

    audited(deps, actor=user_id, request_id=request_id, action="reject", check=check, target=request.target)
    return request


def reject(deps: Deps, *, request_id: int, user_id: str, reason: str) -> RollbackRequest:
    """Reject a pending request, saying why (anyone who may approve may reject; so may the requester)."""
    reason = reason.strip()
    if not reason:
        raise UsageError("Say briefly why you reject this request.")
    if len(reason) > MAX_REASON:
        raise UsageError(f"The reason is too long ({len(reason)} characters; at most {MAX_REASON}).")
    request = may_reject(deps, request_id=request_id, user_id=user_id)
    said = reason.replace("{", "{{").replace("}", "}}")  # the person's text, never a placeholder
    note = Text.of("Rejected by {who}: " + said, who=Mention.user(user_id))
    _decide_closed(deps, request, RequestStatus.rejected, actor=user_id, note=note)
    return deps.requests.get(request_id)


def cancel(deps: Deps, *, request_id: int, user_id: str) -> RollbackRequest:
    """The requester withdraws their pending request; an approved one not yet claimed for execution may also
    be cancelled by an approver (atomic against a concurrent claim: one of the two wins)."""
    request = deps.requests.get(request_id)

    def check() -> None:
        if request.status is RequestStatus.approved:
            if user_id != request.requester_id:
                _ensure_approver(deps, request, user_id)
            return
        approval.ensure_pending(request)
        approval.ensure_requester(request, user_id)

    audited(deps, actor=user_id, request_id=request_id, action="cancel", check=check, target=request.target)
    note = Text.of("Cancelled by {who}.", who=Mention.user(user_id))
    _decide_closed(deps, request, RequestStatus.cancelled, actor=user_id, note=note)
    return deps.requests.get(request_id)


def _decide_closed(deps: Deps, request: RollbackRequest, status: RequestStatus, *, actor: str, note: Text) -> None:
    """Like ``_close`` but a lost race is reported to the person who clicked."""
    approver = actor if status is RequestStatus.rejected else None
    result = {"note": note.plain()}
    closed = move(deps, request, status, approver_id=approver, decided_at=deps.clock(), result=result)
    record(deps, f"request.{status.value}", actor=actor, request_id=request.id, note=note.plain())
    deps.metrics.count("decisions", target=request.target, decision=status.value)
    deps.notifier.update_card(closed, plan_of(deps, closed), note=note)


def expire_due(deps: Deps) -> list[RollbackRequest]:
    """Mark every pending request past its expiry (the database's clock) as Expired and update its card."""
    now = deps.requests.now()
    expired = []
    for request in deps.requests.list_by_status([RequestStatus.pending]):
        if now >= request.expires_at:
            _close(deps, request, RequestStatus.expired, actor="system", note="Expired before anyone approved it.")
            expired.append(deps.requests.get(request.id))
    return expired


def _not_its_approver(deps: Deps, target: ServiceEnv, follows: str, requester_id: str) -> None:
    """Whoever approved the change a follow-up continues (the restore of a cut-over) may not ask for the follow-up."""
    for earlier in deps.requests.list_recent(target=target, limit=FOLLOWED_WITHIN):
        if earlier.status is not RequestStatus.succeeded or earlier.approver_id != requester_id:
            continue
        if plan_of(deps, earlier).produces == follows:
            raise SamePersonError(
                f"You approved request #{earlier.id}, which this request continues; someone else must ask for it, "
                "and another person approve it (two people again)."
            )
