"""Rollback drills: capture → roll back → verify → restore, timed phase by phase and recorded.

The restore runs whatever happened before it (an error, a failed verification, a write that landed
half-way, even a bug): the drill puts back exactly the state it captured (a whole traffic rule list,
``latestRevision`` included) and checks that it reads back so. The restore is itself planned: it
re-reads live state first, and if something the drill did not write has changed (someone else moved
the target meanwhile) it stops and reports instead of overwriting.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.domain.kinds import KindName
from bot.domain.plan import KindState, Plan, StepResult
from bot.domain.readiness import DrillPhase, DrillRecord
from bot.domain.rollback_requests import NewRequest, RollbackRequest, ServiceEnv
from bot.errors import RollbackBotError, StalePlanError, UsageError
from bot.kinds import BoundKind, changed_by_others, encode_plan, require_state
from bot.services import Deps
from bot.services.audit import record
from bot.services.policy import approvers_of
from bot.services.proof import watch_drill

log = logging.getLogger("rollback_bot.drills")


@dataclass(frozen=True)
class DrillOutcome:
    """The recorded drill and the steps it ran (rollback, verification, then the restore)."""

    drill: DrillRecord
    steps: tuple[StepResult, ...]


def _bound(deps: Deps, target: ServiceEnv, kind: KindName | None) -> BoundKind[Any]:
    """The kind to drill: the one named, else the first configured one the bot can execute (code first)."""
    env = deps.environment(target)
    runnable = [name for name, bound in env.kinds.items() if bound.executes]
    chosen = kind if kind is not None else next(iter(runnable), None)
    if chosen is None or chosen not in runnable:
        what = f"`{chosen}`" if chosen else "anything"
        raise UsageError(f"{target} has nothing to drill for {what}; drills can run: {', '.join(runnable) or 'none'}.")
    return env.bound(chosen)


def request_drill(
    deps: Deps, *, target: ServiceEnv, kind: KindName | None, requester_id: str, channel_id: str
) -> RollbackRequest:
    """Open a drill as a request that follows the two-person rule (the card says it is a drill)."""
    policy = deps.catalog.resolve(target.service, target.environment)
    bound = _bound(deps, target, kind)
    plan = bound.plan()
    if not plan.executable:
        raise UsageError(f"The drill cannot run: {plan.blocked_reason}")
    new = NewRequest(
        target=target,
        kind=bound.kind,
        requester_id=requester_id,
        channel_id=channel_id,
        emergency=False,
        reason="Rollback drill: roll back, verify, restore",
        plan=encode_plan(plan),
        expires_at=deps.clock() + timedelta(minutes=policy.approval_ttl_minutes),
        is_drill=True,
    )
    request = deps.requests.add(new)
    record(deps, "drill.requested", actor=requester_id, request_id=request.id, kind=bound.kind)
    ts = deps.notifier.post_card(request, plan, approvers=approvers_of(deps, target))
    deps.requests.set_message(request.id, ts)
    return deps.requests.get(request.id)


class _Clock:
    """Seconds since the drill's trigger, per phase."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.phases: dict[str, float] = {}

    def mark(self, phase: DrillPhase) -> None:
        self.phases[phase.value] = round(time.monotonic() - self.t0, 3)


def run_drill(
    deps: Deps,
    *,
    target: ServiceEnv,
    kind: KindName | None,
    actor: str,
    plan: Plan[Any] | None = None,
    request_id: int | None = None,
) -> DrillOutcome:
    """Capture, roll back, verify, restore (always, once anything was captured); time and record it."""
    bound = _bound(deps, target, kind)
    started_at, clock = deps.clock(), _Clock()
    steps: list[StepResult] = []
    problems: list[str] = []
    verified = False
    snapshot: KindState | None = None
    try:
        plan = plan or bound.plan()
        snapshot = _capture(bound, plan)
        clock.mark(DrillPhase.command_issued)
        for step in bound.execute(plan):
            steps.append(step)
            if step.name == bound.pointer_step:
                clock.mark(DrillPhase.pointer_moved)
        verification = bound.verify(plan)
        steps.extend(verification.checks)
        verified = verification.ok
        clock.mark(DrillPhase.verified)
        if not verified:
            problems.append(f"verification failed: {verification.failure}")
    except RollbackBotError as exc:
        problems.append(exc.user_message)
    except Exception:
        ref = uuid.uuid4().hex[:12]
        log.exception("unexpected error during drill (ref %s)", ref)
        problems.append(f"unexpected error (reference `{ref}`)")
    finally:
        if snapshot is not None and plan is not None:
            restore_steps, restore_problem = _restore(bound, plan, snapshot)
            steps.extend(restore_steps)
            if restore_problem is None:
                clock.mark(DrillPhase.rolled_forward)
            else:
                problems.append(f"NOT RESTORED: {restore_problem}")
    drill = DrillRecord(
        target=target,
        kind=bound.kind,
        actor=actor,
        started_at=started_at,
        phases=clock.phases,
        verified=verified,
        error="; ".join(problems) or None,
        request_id=request_id,
    )
    outcome = _record(deps, drill, steps)
    if plan is not None:  # the same evidence as a rollback's proof, over the time the drill's rollback was in place
        watch_drill(deps, outcome.drill, plan)
    return outcome


def _capture(bound: BoundKind[Any], plan: Plan[Any]) -> KindState:
    """Read what the drill will touch; refuse a plan live state has moved away from, or a state it cannot restore."""
    if not plan.executable:
        raise UsageError(f"The drill cannot run: {plan.blocked_reason}")
    snapshot: KindState = bound.capture(plan)
    if snapshot != plan.current:
        raise StalePlanError(
            f"Live state moved since the drill was planned (now: {snapshot.describe()}); nothing was changed."
        )
    why = bound.restorable(snapshot)
    if why:
        raise UsageError(f"The drill cannot run, because it could not put things back: {why}")
    return snapshot


def _restore(bound: BoundKind[Any], plan: Plan[Any], snapshot: KindState) -> tuple[list[StepResult], str | None]:
    """Put ``snapshot`` back and check it reads back exactly; None when it did, else what went wrong."""
    steps: list[StepResult] = []
    try:
        _, desired = require_state(plan)
        live = bound.capture(plan)
        if live == snapshot:
            return [StepResult("restore", True, 0.0, "nothing to restore: live state is as captured")], None
        others = changed_by_others(snapshot, desired, live)
        if others:
            return steps, (
                f"{', '.join(others)} changed by someone else during the drill, so it was left as found "
                f"(now: {live.describe()}; before the drill: {snapshot.describe()})"
            )
        steps.extend(bound.restore(snapshot, live))
        after = bound.capture(plan)
    except RollbackBotError as exc:
        return steps, f"the restore failed: {exc.user_message} (before the drill: {snapshot.describe()})"
    if after != snapshot:
        return steps, f"the restore reads back as {after.describe()}, not {snapshot.describe()}"
    steps.append(StepResult("verify restore", True, 0.0, f"live state is as before the drill: {after.describe()}"))
    return steps, None


def _record(deps: Deps, drill: DrillRecord, steps: list[StepResult]) -> DrillOutcome:
    """Store the drill, audit it, count it."""
    stored = deps.drills.record(drill)
    record(
        deps,
        "drill.recorded",
        actor=drill.actor,
        request_id=drill.request_id,
        kind=drill.kind,
        phases=drill.phases,
        passed=stored.passed,
        restored=stored.restored,
        error=drill.error,
    )
    deps.metrics.count("drills", outcome="passed" if stored.passed else "failed")
    return DrillOutcome(stored, tuple(steps))
