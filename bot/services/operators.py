"""What operators do from a terminal: close a request that must not run or be resumed any more."""

from __future__ import annotations

from bot.domain.rollback_requests import RequestStatus, RollbackRequest
from bot.errors import AlreadyDecidedError, NotAllowedError, UsageError
from bot.services import Deps
from bot.services.audit import audited, record
from bot.services.policy import move, plan_of

MAX_REASON = 500


def close_request(deps: Deps, *, request_id: int, reason: str, actor: str) -> RollbackRequest:
    """Close a request still in flight, saying why: pending or approved → cancelled; executing → failed.

    An execution a replica is running (its lease has not run out) is refused: the replica would go on
    writing. Atomic against a concurrent approval or claim (one of them wins). Audited, card updated.

    Raises:
        UsageError: no reason given.
        AlreadyDecidedError: the request is finished already (or just changed).
        NotAllowedError: a replica is executing it now.
    """
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise UsageError(f"Say why the request is closed (1 to {MAX_REASON} characters).")
    request = deps.requests.get(request_id)

    def check() -> None:
        if not request.status.in_flight:
            raise AlreadyDecidedError(f"Request #{request.id} is already {request.status.value}.")
        live_lease = request.lease_until is not None and request.lease_until > deps.requests.now()
        if request.status is RequestStatus.executing and request.lease_owner and live_lease:
            raise NotAllowedError(
                f"Request #{request.id} is being executed by replica {request.lease_owner} (its lease runs until "
                f"{request.lease_until:%H:%M:%S} UTC); it cannot be closed while a replica runs it."
            )

    audited(deps, actor=actor, request_id=request_id, action="close", check=check, target=request.target)
    to = RequestStatus.failed if request.status is RequestStatus.executing else RequestStatus.cancelled
    note = f"Closed by {actor}: {reason}"
    closed = audited(
        deps,
        actor=actor,
        request_id=request_id,
        action="close",
        check=lambda: move(deps, request, to, decided_at=deps.clock(), result={"note": note, "closed_by": actor}),
    )
    record(deps, "request.closed", actor=actor, request_id=request_id, was=request.status.value, reason=reason)
    deps.metrics.count("decisions", target=request.target, decision="closed")
    plan = plan_of(deps, closed)
    deps.notifier.update_card(closed, plan, note=note)
    if request.status is RequestStatus.executing:
        lines = ["It may have been stopped half-way: check live state before opening a new request."]
        deps.notifier.post_thread(closed, note, lines=[*lines, "roll forward with:", *plan.roll_forward])
    return closed
