"""Running an approved request exactly once, reporting every step, and reconciling after a crash."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta

from bot.domain.model import RequestStatus, RollbackRequest
from bot.domain.plan import Plan, StepResult
from bot.errors import AlreadyDecidedError, RollbackBotError
from bot.services import Deps
from bot.services.audit import record
from bot.services.drills import run_drill
from bot.services.policy import move

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
    plan = Plan.from_dict(request.plan)
    started = time.monotonic()
    steps, error = _run_steps(deps, request, plan)
    seconds = round(time.monotonic() - started, 3)
    return _finish(deps, request, plan, steps=steps, error=error, seconds=seconds)


def _run_drill(deps: Deps, request: RollbackRequest, plan: Plan) -> tuple[list[StepResult], str | None]:
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


def _run_steps(deps: Deps, request: RollbackRequest, plan: Plan) -> tuple[list[StepResult], str | None]:
    if request.is_drill:
        return _run_drill(deps, request, plan)
    steps: list[StepResult] = []
    executor = deps.executors(request.target).get(plan.kind)
    if executor is None:
        return steps, f"Rolling back `{plan.kind}` is no longer configured for {request.target}."
    try:
        for step in executor.execute(plan):
            steps.append(step)
            deps.requests.touch(request.id)
            record(
                deps,
                "execution.step",
                actor="rollback-bot",
                request_id=request.id,
                step=step.name,
                seconds=step.seconds,
                detail=step.detail,
                data=step.data,
            )
            deps.notifier.update_card(request, plan, steps=steps, note="Executing…")
    except RollbackBotError as exc:
        return steps, exc.user_message
    except Exception:
        ref = uuid.uuid4().hex[:12]
        log.exception("unexpected error executing request #%s (ref %s)", request.id, ref)
        return steps, f"Unexpected error during execution (reference `{ref}`); check live state before retrying."
    return steps, None


def _finish(
    deps: Deps, request: RollbackRequest, plan: Plan, *, steps: list[StepResult], error: str | None, seconds: float
) -> RollbackRequest:
    status = RequestStatus.failed if error else RequestStatus.succeeded
    result = {"seconds": seconds, "steps": [s.__dict__ for s in steps], "error": error}
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
    note = f"Failed after {seconds:.1f} s: {error}" if error else f"Succeeded in {seconds:.1f} s."
    deps.notifier.update_card(done, plan, steps=steps, note=note)
    lines = [f"{'✓' if s.ok else '✗'} {s.name} ({s.seconds:.2f} s): {s.detail}" for s in steps]
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
    plan = Plan.from_dict(request.plan)
    executor = deps.executors(request.target).get(plan.kind)
    try:
        verification = executor.verify(plan) if executor else None
    except RollbackBotError as exc:
        verification = None
        lines = [f"could not read live state: {exc.user_message}"]
    else:
        lines = list(verification.details) if verification else ["this kind is no longer configured"]
    ok = bool(verification and verification.ok and request.status is RequestStatus.executing)
    status = RequestStatus.succeeded if ok else RequestStatus.failed
    note = (
        "The bot restarted during execution; live state now matches the plan, so the rollback is in place."
        if ok
        else "The bot restarted before this rollback finished; live state does not match the plan."
    )
    done = move(deps, request, status, result={"reconciled": True, "note": note, "live": lines})
    record(deps, "execution.reconciled", actor="rollback-bot", request_id=request.id, outcome=status.value, live=lines)
    deps.notifier.update_card(done, plan, note=note)
    deps.notifier.post_thread(
        done, note + ("" if ok else " Check live state and open a new request if needed."), lines=lines
    )
    return done
