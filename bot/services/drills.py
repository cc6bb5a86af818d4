"""Rollback drills: a real rollback and roll-forward, timed phase by phase and recorded (SPEC §6 item 5)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from bot.domain.checklist import DrillPhase, DrillRecord
from bot.domain.kinds import CODE, KindName
from bot.domain.model import NewRequest, RollbackRequest, ServiceEnv
from bot.domain.plan import Plan, StepResult
from bot.errors import RollbackBotError, UsageError
from bot.executors.base import Executor
from bot.services import Deps
from bot.services.audit import record
from bot.services.policy import approvers_mention


@dataclass(frozen=True)
class DrillOutcome:
    """The recorded drill and the steps it ran (rollback, then roll-forward)."""

    drill: DrillRecord
    steps: tuple[StepResult, ...]


def _executor(deps: Deps, target: ServiceEnv, kind: KindName | None) -> Executor:
    executors = deps.executors(target)
    if kind is None:
        kind = CODE if CODE in executors else next(iter(executors), None)
    if kind is None or kind not in executors:
        what = f"`{kind}`" if kind else "anything"
        raise UsageError(f"{target} has no executor for {what}; drills can run: {', '.join(executors) or 'none'}.")
    return executors[kind]


def request_drill(
    deps: Deps, *, target: ServiceEnv, kind: KindName | None, requester_id: str, channel_id: str
) -> RollbackRequest:
    """Open a drill as a request that follows the two-person rule (the card says it is a drill)."""
    policy = deps.catalog.resolve(target.service, target.environment)
    executor = _executor(deps, target, kind)
    plan = executor.plan()
    if not plan.executable:
        raise UsageError(f"The drill cannot run: {plan.blocked_reason}")
    new = NewRequest(
        target=target,
        kind=executor.kind,
        requester_id=requester_id,
        channel_id=channel_id,
        emergency=False,
        reason="Rollback drill: roll back, verify, roll forward",
        plan=plan.to_dict(),
        expires_at=deps.clock() + timedelta(minutes=policy.approval_ttl_minutes),
        is_drill=True,
    )
    request = deps.requests.add(new)
    record(deps, "drill.requested", actor=requester_id, request_id=request.id, kind=executor.kind)
    ts = deps.notifier.post_card(request, plan, approvers=approvers_mention(deps, target))
    deps.requests.set_message(request.id, ts)
    return deps.requests.get(request.id)


def run_drill(
    deps: Deps,
    *,
    target: ServiceEnv,
    kind: KindName | None,
    actor: str,
    plan: Plan | None = None,
    request_id: int | None = None,
) -> DrillOutcome:
    """Roll back, verify, roll forward; time each phase from the trigger; record the drill."""
    executor = _executor(deps, target, kind)
    started_at, t0 = deps.clock(), time.monotonic()
    phases: dict[str, float] = {}
    steps: list[StepResult] = []
    error: str | None = None
    verified = False
    try:
        plan = plan or executor.plan()
        phases[DrillPhase.command_issued.value] = round(time.monotonic() - t0, 3)
        for step in executor.execute(plan):
            steps.append(step)
            if step.name == executor.pointer_step:
                phases[DrillPhase.pointer_moved.value] = round(time.monotonic() - t0, 3)
        verified = executor.verify(plan).ok
        phases[DrillPhase.verified.value] = round(time.monotonic() - t0, 3)
        steps.extend(executor.roll_forward(plan))
        phases[DrillPhase.rolled_forward.value] = round(time.monotonic() - t0, 3)
    except RollbackBotError as exc:
        error = exc.user_message
    drill = deps.drills.record(
        DrillRecord(
            target=target,
            kind=executor.kind,
            actor=actor,
            started_at=started_at,
            phases=phases,
            verified=verified,
            error=error,
            request_id=request_id,
        )
    )
    record(
        deps,
        "drill.recorded",
        actor=actor,
        request_id=request_id,
        kind=executor.kind,
        phases=phases,
        passed=drill.passed,
        error=error,
    )
    deps.metrics.count("drills", outcome="passed" if drill.passed else "failed")
    return DrillOutcome(drill, tuple(steps))
