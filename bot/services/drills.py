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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.domain import approval
from bot.domain.kinds import KindName
from bot.domain.plan import KindState, Plan, StepResult
from bot.domain.readiness import DrillPhase, DrillRecord
from bot.domain.rollback_requests import NewRequest, RequestStatus, RollbackRequest, ServiceEnv
from bot.errors import LeaseLostError, RollbackBotError, SlackApiError, StalePlanError, UsageError
from bot.kinds import BoundKind, encode_plan, require_state
from bot.services import Deps
from bot.services.audit import audited, record
from bot.services.claims import fenced
from bot.services.policy import approvers_of, move
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
    runnable = [name for name, bound in env.kinds.items() if bound.executes and bound.drillable]
    chosen = kind if kind is not None else next(iter(runnable), None)
    if chosen is None or chosen not in runnable:
        what = f"`{chosen}`" if chosen else "anything"
        raise UsageError(f"{target} has nothing to drill for {what}; drills can run: {', '.join(runnable) or 'none'}.")
    return env.bound(chosen)


def start_drill(
    deps: Deps,
    *,
    target: ServiceEnv,
    kind: KindName | None,
    requester_id: str,
    channel_id: str | None,
    run_here: bool = False,
) -> RollbackRequest:
    """Open a drill as a request, holding the target's slot like any rollback.

    Where drills need approval (``drills_need_approval``) the drill waits for a second person, like a
    rollback. Elsewhere only the environment's approvers may start one; it is opened approved, to be
    started at once (from Slack in the background); with ``run_here`` (the command line) it is opened
    already claimed by this replica, which runs it itself (``run_claimed``). With a ``channel_id`` its
    card is posted there.

    Raises:
        RollbackInProgressError: the target has a change in flight (named, with since when).
        NotApproverError: the drill needs no approval here, but the requester is not an approver.
    """
    policy = deps.catalog.resolve(target.service, target.environment)
    needs_approval = policy.drills_need_approval
    if not needs_approval and channel_id is not None:
        rule = approval.ApproverRule(policy.approver_usergroup, policy.approver_users)
        members = deps.directory.usergroup_members(rule.usergroup) if rule.usergroup else frozenset()
        person, workspace = deps.directory.user(requester_id), deps.directory.workspace_id()
        audited(
            deps,
            actor=requester_id,
            request_id=None,
            action="drill",
            check=lambda: approval.ensure_approver(rule, person, members, workspace),
            target=target,
        )
    bound = _bound(deps, target, kind)
    plan = bound.plan()
    if not plan.executable:
        raise UsageError(f"The drill cannot run: {plan.blocked_reason}")
    new = NewRequest(
        target=target,
        kind=bound.kind,
        requester_id=requester_id,
        channel_id=channel_id or "",
        emergency=False,
        reason="Rollback drill: roll back, verify, restore",
        plan=encode_plan(plan),
        ttl=timedelta(minutes=policy.approval_ttl_minutes),
        is_drill=True,
        status=RequestStatus.pending if needs_approval else RequestStatus.approved,
    )
    claim = (deps.replica_id, deps.leases.seconds) if run_here and not needs_approval else None
    request = audited(
        deps,
        actor=requester_id,
        request_id=None,
        action="drill",
        check=lambda: deps.requests.add(new, claim=claim),
        target=target,
    )
    record(deps, "drill.requested", actor=requester_id, request_id=request.id, kind=bound.kind, approval=needs_approval)
    if channel_id is not None:
        _post_card(deps, request, plan, needs_approval)
    return deps.requests.get(request.id)


def _post_card(deps: Deps, request: RollbackRequest, plan: Plan[Any], needs_approval: bool) -> None:
    """The drill's card; without one nobody could approve a pending drill, which then gives its slot back."""
    try:
        ts = deps.notifier.post_card(request, plan, approvers=approvers_of(deps, request.target))
    except SlackApiError:
        if needs_approval:
            note = "The drill's card could not be posted."
            move(deps, request, RequestStatus.cancelled, decided_at=deps.clock(), result={"note": note})
            record(deps, "request.cancelled", actor="rollback-bot", request_id=request.id, note=note)
            raise
        log.warning("drill #%s runs without a card: it could not be posted", request.id)
        return
    deps.requests.set_message(request.id, ts)


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
    fence: Callable[[], None] = lambda: None,
    resumed: bool = False,
) -> DrillOutcome:
    """Capture, roll back, verify, restore (always, once anything was captured); time and record it.

    ``fence`` runs before every write (a lease check: ``LeaseLostError`` stops the drill where it is, with
    nothing restored or recorded, for the replica that took it over). A ``resumed`` drill whose target is
    no longer as planned was interrupted half-way: it is not run again; what it had changed is put back.
    """
    bound = _bound(deps, target, kind)
    started_at, clock = deps.clock(), _Clock()
    steps: list[StepResult] = []
    problems: list[str] = []
    verified = lost = False
    snapshot: KindState | None = None
    try:
        plan = plan or bound.plan()
        if resumed and bound.capture(plan) != plan.current:
            snapshot, _ = require_state(plan)  # what the interrupted drill captured (it refused anything else)
            raise RollbackBotError("interrupted: the replica running it stopped; what it had changed is put back")
        snapshot = _capture(bound, plan)
        clock.mark(DrillPhase.command_issued)
        for step in fenced(bound.execute(plan), fence):
            steps.append(step)
            if step.name == bound.pointer_step:
                clock.mark(DrillPhase.pointer_moved)
        verification = bound.verify(plan)
        steps.extend(verification.checks)
        verified = verification.ok
        clock.mark(DrillPhase.verified)
        if not verified:
            problems.append(f"verification failed: {verification.failure}")
    except LeaseLostError:
        lost = True
        raise
    except RollbackBotError as exc:
        problems.append(exc.user_message)
    except Exception:
        ref = uuid.uuid4().hex[:12]
        log.exception("unexpected error during drill (ref %s)", ref)
        problems.append(f"unexpected error (reference `{ref}`)")
    finally:
        if snapshot is not None and plan is not None and not lost:
            restore_steps, restore_problem = _restore(bound, plan, snapshot, fence)
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
    return _record(deps, drill, steps, plan)


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


def _restore(
    bound: BoundKind[Any], plan: Plan[Any], snapshot: KindState, fence: Callable[[], None]
) -> tuple[list[StepResult], str | None]:
    """Put ``snapshot`` back and check it reads back exactly; None when it did, else what went wrong."""
    steps: list[StepResult] = []
    try:
        _, desired = require_state(plan)
        live = bound.capture(plan)
        if live == snapshot:
            return [StepResult("restore", True, 0.0, "nothing to restore: live state is as captured")], None
        others = bound.moved_by_others(snapshot, desired, live)
        if others:
            return steps, (
                f"{', '.join(others)} changed by someone else during the drill, so it was left as found "
                f"(now: {live.describe()}; before the drill: {snapshot.describe()})"
            )
        steps.extend(fenced(bound.restore(snapshot, live), fence))
        after = bound.capture(plan)
    except LeaseLostError:
        raise
    except RollbackBotError as exc:
        return steps, f"the restore failed: {exc.user_message} (before the drill: {snapshot.describe()})"
    if after != snapshot:
        return steps, f"the restore reads back as {after.describe()}, not {snapshot.describe()}"
    steps.append(StepResult("verify restore", True, 0.0, f"live state is as before the drill: {after.describe()}"))
    return steps, None


def _record(deps: Deps, drill: DrillRecord, steps: list[StepResult], plan: Plan[Any] | None) -> DrillOutcome:
    """Store the drill, audit it, count it; watch its proof (the same evidence as a rollback's, over the time
    the drill's rollback was in place)."""
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
    deps.metrics.count("drills", target=drill.target, outcome="passed" if stored.passed else "failed")
    if plan is not None:
        watch_drill(deps, stored, plan)
    return DrillOutcome(stored, tuple(steps))
