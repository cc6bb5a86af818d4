"""Running an approved request exactly once, under a lease any replica can take over, reporting every step.

An approved request is claimed (``claims``): by the replica that approved it at once, else by the claim
loop of any replica within seconds. The claimant holds a lease on the database's clock, renewed before
every write and on a heartbeat; if it stops renewing, another replica claims the execution and resumes it.

**Resuming is safe.** Every execution starts by reading live state again: already as planned → nothing is
written, only verified (the replica that stopped had made the change); as it was when planned → the plan
runs; half-way (some of the plan's own writes landed) → the remaining writes run from there; anything
else (someone else changed the target) → nothing is written and the request fails saying so. A drill
resumed after its replica stopped puts back what it had changed. An execution claimed ``max_claims``
times without finishing is closed as failed instead of being resumed again.

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
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from bot.domain.plan import Plan, StepResult
from bot.domain.recovery import CardProof
from bot.domain.rollback_requests import RequestStatus, RollbackRequest
from bot.errors import AlreadyDecidedError, LeaseLostError, RollbackBotError, StalePlanError
from bot.kinds import BoundKind, require_state, write_fence
from bot.services import Deps
from bot.services.audit import record
from bot.services.claims import Lease, fenced
from bot.services.drills import run_drill
from bot.services.policy import move, plan_of
from bot.services.proof import watch_rollback
from bot.services.releases import record_after_rollback

log = logging.getLogger("rollback_bot.execution")


def claim_due(deps: Deps, *, limit: int = 20) -> list[int]:
    """One tick of the claim loop: hand every claimable request to this replica's executions.

    Returns the requests handed to the pool (each is claimed there; another replica may win it first).
    """
    if not deps.local.claiming:
        return []
    return [request_id for request_id in deps.requests.claimable(limit=limit) if start_execution(deps, request_id)]


def start_execution(deps: Deps, request_id: int) -> bool:
    """Hand an approved request to this replica's executions (False when it is queued or running here already,
    or this replica is draining)."""
    if not deps.local.queue(request_id):
        return False
    deps.run_in_background(partial(execute_request, deps, request_id=request_id))
    return True


def execute_request(deps: Deps, *, request_id: int) -> RollbackRequest:
    """Claim the request (one claimant wins, across replicas), run or resume it under its lease, record the outcome.

    A replica that is draining claims nothing; one that loses its lease stops before its next write and
    records nothing (the new holder does).
    """
    claimed = None
    if deps.local.claiming:
        claimed = deps.requests.claim(request_id, replica=deps.replica_id, lease_seconds=deps.leases.seconds)
    if claimed is None:
        deps.local.finished(request_id)
        log.info("request #%s not claimed here (taken elsewhere, finished, or draining)", request_id)
        return deps.requests.get(request_id)
    return run_claimed(deps, claimed)


def run_claimed(deps: Deps, claimed: RollbackRequest) -> RollbackRequest:
    """Run (or resume) a request this replica has just claimed, renewing its lease; record the outcome."""
    lease = Lease(deps, claimed.id)
    deps.local.started(lease)
    try:
        with deps.keep_alive(deps.leases.heartbeat, lease.beat):
            return _execute_claimed(deps, claimed, lease)
    except (LeaseLostError, AlreadyDecidedError):  # a takeover: the new holder records the outcome
        log.info("request #%s: stopped here; the replica now holding its lease carries on", claimed.id)
        return deps.requests.get(claimed.id)
    finally:
        deps.local.finished(claimed.id)


def _execute_claimed(deps: Deps, request: RollbackRequest, lease: Lease) -> RollbackRequest:
    if not deps.catalog.configures(request.target):
        note = f"{request.target} is no longer configured, so this request was closed without touching it."
        return _close(deps, request, note, [f"check live state of {request.target} by hand"])
    if request.claims > deps.leases.max_claims:
        note = f"Closed after {request.claims - 1} replicas stopped while running it; it is not resumed again."
        return _close(deps, request, note, _live_lines(deps, request))
    event = "execution.resumed" if request.resumed else "execution.started"
    record(deps, event, actor="rollback-bot", request_id=request.id, replica=deps.replica_id, claim=request.claims)
    plan = plan_of(deps, request)
    if request.resumed:
        deps.notifier.update_card(request, plan, note="Resumed by another replica after the one running it stopped…")
    # When the change began, for its proof: a resumed execution may have made it on another replica already.
    started, started_at = (
        time.monotonic(),
        (request.decided_at or request.created_at) if request.resumed else deps.clock(),
    )
    run = _run_drill if request.is_drill else _run_rollback
    steps, error = run(deps, request, plan, lease)
    seconds = round(time.monotonic() - started, 3)
    # The outcome is a write too: a replica that handed the execution over (a drain's deadline) or lost it
    # stops here and the holder verifies and records it (a takeover also changes the version: move is fenced).
    lease.fence()
    return _finish(deps, request, plan, steps=steps, error=error, seconds=seconds, started_at=started_at)


def _run_drill(
    deps: Deps, request: RollbackRequest, plan: Plan[Any], lease: Lease
) -> tuple[list[StepResult], str | None]:
    outcome = run_drill(
        deps,
        target=request.target,
        kind=plan.kind,
        actor=request.approver_id or request.requester_id,
        plan=plan,
        request_id=request.id,
        fence=lease.fence,
        resumed=request.resumed,
    )
    drill = outcome.drill
    if drill.passed:
        return list(outcome.steps), None
    why = drill.error or f"time to rollback {drill.time_to_rollback} s, verified: {drill.verified}"
    return list(outcome.steps), f"The drill did not pass: {why}"


def _step_done(
    deps: Deps, request: RollbackRequest, plan: Plan[Any], steps: list[StepResult], step: StepResult
) -> None:
    """One finished step: audit, card (queued: Slack never holds up the next step). A progress report of a long
    step (a restore) is audited and posted in the thread instead."""
    if step.progress:
        record(deps, "execution.progress", actor="rollback-bot", request_id=request.id, detail=step.detail)
        deps.notifier.post_thread(request, step.detail)
        deps.notifier.update_card(request, plan, steps=steps, note=f"Executing… {step.detail}")
        return
    steps.append(step)
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


def _run_rollback(
    deps: Deps, request: RollbackRequest, plan: Plan[Any], lease: Lease
) -> tuple[list[StepResult], str | None]:
    steps: list[StepResult] = []
    try:
        bound = deps.environment(request.target).bound(plan.kind)
        if not plan.executable:
            return steps, plan.blocked_reason or "This plan cannot be executed."
        todo = _resume_point(bound, plan)
        if todo is None:
            live = "live state is already as planned (made before this replica took over); verifying it"
            _step_done(deps, request, plan, steps, StepResult("already applied", True, 0.0, live))
        else:
            with write_fence(lease.fence):  # also for writes a kind makes from threads of its own (a release)
                for step in fenced(bound.execute(todo), lease.fence):
                    _step_done(deps, request, plan, steps, step)
    except LeaseLostError:
        raise
    except RollbackBotError as exc:
        return steps, exc.user_message + _undo_partial(deps, request, plan, steps, lease)
    except Exception:
        ref = uuid.uuid4().hex[:12]
        log.exception("unexpected error executing request #%s (ref %s)", request.id, ref)
        return steps, f"Unexpected error during execution (reference `{ref}`); check live state before retrying."
    return steps, _verify(deps, request, plan, bound, steps)


def _resume_point(bound: BoundKind[Any], plan: Plan[Any]) -> Plan[Any] | None:
    """What is left to write, from live state: None when it is already as planned.

    Raises:
        StalePlanError: someone else changed the target since the plan (nothing is written).
    """
    current, desired = require_state(plan)
    live = bound.capture(plan)
    if live == desired:
        return None
    if live == current:
        return plan
    others = bound.moved_by_others(current, desired, live)
    if others:
        raise StalePlanError(
            f"Live state moved since the approval: {', '.join(others)} changed by someone else "
            f"(now: {live.describe()}); nothing was written."
        )
    return replace(plan, current=live)  # some of the plan's own writes landed: the rest runs from here


def _undo_partial(deps: Deps, request: RollbackRequest, plan: Plan[Any], steps: list[StepResult], lease: Lease) -> str:
    """After a failed step: undo only what leaves the layer inconsistent; say what live state is now."""
    if not steps:
        return ""
    try:
        bound = deps.environment(request.target).bound(plan.kind)
        live = bound.capture(plan)
        for step in fenced(iter(bound.undo_partial(plan, live)), lease.fence):
            _step_done(deps, request, plan, steps, step)
        live = bound.capture(plan)
    except LeaseLostError:
        raise
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
    done = move(deps, request, status, result=result)  # fenced too: a takeover changed the version
    record(
        deps,
        "execution.executed",
        actor="rollback-bot",
        request_id=request.id,
        outcome=status.value,
        seconds=seconds,
        error=error,
    )
    deps.metrics.count("outcomes", target=request.target, outcome=status.value, kind=plan.kind)
    deps.metrics.observe("execution_seconds", seconds, target=request.target, kind=plan.kind)
    watch = None
    if status is RequestStatus.succeeded and not request.is_drill:  # a drill schedules its own
        watch = watch_rollback(deps, done, plan, changed_at=started_at, settled_at=deps.clock())
    proof = CardProof(until=watch.after_end) if watch is not None else None
    deps.notifier.update_card(done, plan, steps=steps, note=note, proof=proof)
    lines: list[str] = []
    what = "Drill" if request.is_drill else "Rollback"
    text = f"{what} failed: {error}" if error else f"{what} verified."
    if not request.is_drill and status is RequestStatus.succeeded and plan.roll_forward:
        lines = list(plan.roll_forward)
        text += " Roll forward (undo) with the command below."
    deps.notifier.post_thread(done, text, lines=lines, steps=steps)
    if status is RequestStatus.succeeded and not request.is_drill:
        record_after_rollback(deps, done)  # what the rollback left is the newest release: drift compares with it
    return done


def _live_lines(deps: Deps, request: RollbackRequest) -> list[str]:
    """Live state against the plan, for a request closed without running."""
    plan = plan_of(deps, request)
    try:
        if not plan.executable:
            raise RollbackBotError(plan.blocked_reason or "the stored plan cannot be checked")
        lines = list(deps.environment(request.target).bound(plan.kind).verify(plan).details)
    except RollbackBotError as exc:
        lines = [f"could not read live state: {exc.user_message}"]
    return [*lines, "roll forward with:", *plan.roll_forward] if plan.roll_forward else lines


def _close(deps: Deps, request: RollbackRequest, note: str, lines: list[str]) -> RollbackRequest:
    """Close a claimed request as failed without running it; say why and what to check."""
    try:
        done = move(deps, request, RequestStatus.failed, result={"note": note, "live": lines})
    except AlreadyDecidedError:
        return deps.requests.get(request.id)
    record(deps, "execution.closed", actor="rollback-bot", request_id=request.id, note=note, live=lines)
    deps.metrics.count("outcomes", target=request.target, outcome="interrupted", kind=request.kind)
    deps.notifier.update_card(done, plan_of(deps, done), note=note)
    deps.notifier.post_thread(done, note + " Check live state and open a new request if needed.", lines=lines)
    return done
