"""Running an approved request exactly once, reporting every step, and reconciling after a crash.

A rollback's failure rules:

* a step fails after the first write: only writes that leave the layer inconsistent are undone (a
  revision activated but traffic not moved is deactivated again); a write that landed whole stays;
* every write succeeded but verification fails: the rollback stays in place (it may be the lesser
  evil) and the request fails saying so, with the roll-forward command that undoes it.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from bot.domain.plan import Plan, StepResult
from bot.domain.recovery import CardProof
from bot.domain.rollback_requests import RequestStatus, RollbackRequest
from bot.errors import AlreadyDecidedError, RollbackBotError
from bot.kinds import BoundKind
from bot.services import Deps
from bot.services.audit import record
from bot.services.drills import run_drill
from bot.services.policy import move, plan_of
from bot.services.proof import watch_rollback

log = logging.getLogger("rollback_bot.execution")


def execute_request(deps: Deps, *, request_id: int) -> RollbackRequest:
    """Claim the approved request (one claimant wins, across replicas), run its steps, record the outcome."""
    request = deps.requests.get(request_id)
    try:
        request = move(deps, request, RequestStatus.executing)
    except AlreadyDecidedError:
        log.info("request #%s already claimed; not executing again", request_id)
        return deps.requests.get(request_id)
    record(deps, "execution.started", actor="rollback-bot", request_id=request_id)
    plan = plan_of(deps, request)
    started, started_at = time.monotonic(), deps.clock()
    steps, error = _run_drill(deps, request, plan) if request.is_drill else _run_rollback(deps, request, plan)
    seconds = round(time.monotonic() - started, 3)
    return _finish(deps, request, plan, steps=steps, error=error, seconds=seconds, started_at=started_at)


def _run_drill(deps: Deps, request: RollbackRequest, plan: Plan[Any]) -> tuple[list[StepResult], str | None]:
    outcome = run_drill(
        deps,
        target=request.target,
        kind=plan.kind,
        actor=request.approver_id or "rollback-bot",
        plan=plan,
        request_id=request.id,
    )
    drill = outcome.drill
    if drill.passed:
        return list(outcome.steps), None
    why = drill.error or f"time to rollback {drill.time_to_rollback} s, verified: {drill.verified}"
    return list(outcome.steps), f"The drill did not pass: {why}"


def _step_done(
    deps: Deps, request: RollbackRequest, plan: Plan[Any], steps: list[StepResult], step: StepResult
) -> None:
    """One finished step: heartbeat, audit, card."""
    steps.append(step)
    deps.requests.touch(request.id)
    record(
        deps,
        "execution.step",
        actor="rollback-bot",
        request_id=request.id,
        step=step.name,
        ok=step.ok,
        seconds=step.seconds,
        detail=step.detail,
        data=step.data,
    )
    deps.notifier.update_card(request, plan, steps=steps, note="Executing…")


def _run_rollback(deps: Deps, request: RollbackRequest, plan: Plan[Any]) -> tuple[list[StepResult], str | None]:
    steps: list[StepResult] = []
    try:
        bound = deps.environment(request.target).bound(plan.kind)
        if not plan.executable:
            return steps, plan.blocked_reason or "This plan cannot be executed."
        for step in bound.execute(plan):
            _step_done(deps, request, plan, steps, step)
    except RollbackBotError as exc:
        return steps, exc.user_message + _undo_partial(deps, request, plan, steps)
    except Exception:
        ref = uuid.uuid4().hex[:12]
        log.exception("unexpected error executing request #%s (ref %s)", request.id, ref)
        return steps, f"Unexpected error during execution (reference `{ref}`); check live state before retrying."
    return steps, _verify(deps, request, plan, bound, steps)


def _undo_partial(deps: Deps, request: RollbackRequest, plan: Plan[Any], steps: list[StepResult]) -> str:
    """After a failed step: undo only what leaves the layer inconsistent; say what live state is now."""
    if not steps:
        return ""
    try:
        bound = deps.environment(request.target).bound(plan.kind)
        live = bound.capture(plan)
        for step in bound.undo_partial(plan, live):
            _step_done(deps, request, plan, steps, step)
        live = bound.capture(plan)
    except RollbackBotError as exc:
        return f" Live state could not be re-read after the failure ({exc.user_message}); check it by hand."
    if live == plan.current:
        return " Nothing was left changed."
    if live == plan.desired:
        return " The change itself landed and stays in place; verify it by hand."
    return " Part of the change stays in place; check live state before retrying."


def _verify(
    deps: Deps, request: RollbackRequest, plan: Plan[Any], bound: BoundKind[Any], steps: list[StepResult]
) -> str | None:
    try:
        verification = bound.verify(plan)
    except RollbackBotError as exc:
        return f"The change was made, but it could not be verified: {exc.user_message}"
    for check in verification.checks:
        _step_done(deps, request, plan, steps, check)
    if verification.ok:
        return None
    undo = " ".join(plan.roll_forward) or "(no command recorded)"
    return (
        f"Verification failed: {verification.failure}. The rollback stays in place; to undo it (roll forward): {undo}"
    )


def _finish(
    deps: Deps,
    request: RollbackRequest,
    plan: Plan[Any],
    *,
    steps: list[StepResult],
    error: str | None,
    seconds: float,
    started_at: datetime,
) -> RollbackRequest:
    status = RequestStatus.failed if error else RequestStatus.succeeded
    note = f"Failed after {seconds:.1f} s: {error}" if error else f"Succeeded in {seconds:.1f} s."
    result = {"seconds": seconds, "steps": [s.__dict__ for s in steps], "error": error, "note": note}
    done = move(deps, request, status, result=result)
    record(
        deps,
        "execution.executed",
        actor="rollback-bot",
        request_id=request.id,
        outcome=status.value,
        seconds=seconds,
        error=error,
    )
    deps.metrics.count("outcomes", outcome=status.value, kind=plan.kind)
    deps.metrics.observe("execution_seconds", seconds, kind=plan.kind)
    watch = None
    if status is RequestStatus.succeeded and not request.is_drill:  # a drill schedules its own
        watch = watch_rollback(deps, done, plan, changed_at=started_at, settled_at=deps.clock())
    proof = CardProof(until=watch.after_end) if watch is not None else None
    deps.notifier.update_card(done, plan, steps=steps, note=note, proof=proof)
    lines = [f"{'✓' if s.ok else '✗'} {s.name} ({s.seconds:.2f} s): {s.detail}" for s in steps]
    if not request.is_drill and status is RequestStatus.succeeded and plan.roll_forward:
        lines += ["roll forward (undo) with:", *plan.roll_forward]
    deps.notifier.post_thread(done, ("Rollback failed: " + error) if error else "Rollback verified.", lines=lines)
    return done


# Longer than any single step may take (a long-running operation is bounded at 120 s by default), so a
# request silent for this long has no live executor on any replica.
STALE_AFTER = timedelta(minutes=5)


def reconcile_interrupted(deps: Deps, *, stale_after: timedelta = STALE_AFTER) -> list[RollbackRequest]:
    """Requests left approved/executing by a crash (no heartbeat for ``stale_after``) are re-read and closed.

    Runs at start and periodically on every replica; requests another live replica is executing keep
    their heartbeat fresh and are left alone.
    """
    cutoff = deps.clock() - stale_after
    closed = []
    for request in deps.requests.list_by_status([RequestStatus.approved, RequestStatus.executing]):
        if request.updated_at is not None and request.updated_at > cutoff:
            continue
        try:
            closed.append(_reconcile_one(deps, request))
        except AlreadyDecidedError:
            log.info("request #%s changed while being reconciled; left as it is", request.id)
    return closed


def _reconcile_one(deps: Deps, request: RollbackRequest) -> RollbackRequest:
    plan = plan_of(deps, request)
    lines: list[str]
    ok = False
    try:
        if not plan.executable:
            raise RollbackBotError(plan.blocked_reason or "the stored plan cannot be checked")
        verification = deps.environment(request.target).bound(plan.kind).verify(plan)
        lines = list(verification.details)
        ok = verification.ok and request.status is RequestStatus.executing and not request.is_drill
    except RollbackBotError as exc:
        lines = [f"could not read live state: {exc.user_message}"]
    status = RequestStatus.succeeded if ok else RequestStatus.failed
    if ok:
        note = "The bot restarted during execution; live state now matches the plan, so the rollback is in place."
    elif request.is_drill:
        note = "The bot restarted during this drill; check whether the roll-forward is needed."
        lines += ["roll forward with:", *plan.roll_forward]
    else:
        note = "The bot restarted before this rollback finished; live state does not match the plan."
    done = move(deps, request, status, result={"reconciled": True, "note": note, "live": lines})
    record(deps, "execution.reconciled", actor="rollback-bot", request_id=request.id, outcome=status.value, live=lines)
    watch = None
    if ok:  # in place after all: its proof is watched from now (the change began when it was approved)
        changed_at = request.decided_at or request.created_at
        watch = watch_rollback(deps, done, plan, changed_at=changed_at, settled_at=deps.clock())
    deps.notifier.update_card(done, plan, note=note, proof=CardProof(until=watch.after_end) if watch else None)
    deps.notifier.post_thread(
        done, note + ("" if ok else " Check live state and open a new request if needed."), lines=lines
    )
    return done
