"""Proof after rollback: watch the LLM signals for ``verify.window_minutes``, then post one follow-up.

After a rollback (or a drill) that restored a revision, a prompt version or a model version, a *watch* is
scheduled in the database (never more than one per request or drill). Every replica's scheduler calls
``run_due_watches``: a due watch is claimed by one replica (with a lease), the signals of a window before
the change and a window after it are read, and the follow-up is posted in the request's thread with the
verdict (recovered / not yet / worse / not recovered). A watch whose telemetry fails is retried with
backoff; after the last attempt the thread says why there is no proof. The watch never runs inside the
execution: scheduling it is one insert.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain.plan import Plan, StepResult
from bot.domain.readiness import DrillPhase, DrillRecord
from bot.domain.recovery import CardProof, Evidence, Figures, figures, judge
from bot.domain.rollback_requests import RollbackRequest, ServiceEnv
from bot.domain.signals import QUERY_OF, Dimension, Group, GroupCalls, SignalQuery, TimeWindow
from bot.domain.watches import NewWatch, Watch
from bot.errors import RollbackBotError, TelemetryError
from bot.ports.telemetry import TelemetryQuery
from bot.services import Deps
from bot.services.audit import record
from bot.services.policy import plan_of

log = logging.getLogger("rollback_bot.proof")


@dataclass(frozen=True)
class WatchPolicy:
    """The watches' bounds."""

    lease: timedelta = timedelta(minutes=5)  # a holder that crashed is taken over after this
    retry_base: timedelta = timedelta(minutes=1)  # doubles each attempt
    max_attempts: int = 4
    batch: int = 20


def can_watch(telemetry: TelemetryQuery | None, subject: Group) -> bool:
    """True when the telemetry answers the subject's query, or at least ``by_revision`` (error rate, p95)."""
    if telemetry is None:
        return False
    return telemetry.has(QUERY_OF[subject.dimension]) or telemetry.has(SignalQuery.by_revision)


def watch_rollback(
    deps: Deps, request: RollbackRequest, plan: Plan[Any], *, changed_at: datetime, settled_at: datetime
) -> Watch | None:
    """After a rollback that succeeded: watch what it restored for ``verify.window_minutes`` (never raises)."""
    policy = deps.catalog.resolve(request.target.service, request.target.environment).verify
    window = TimeWindow(settled_at, settled_at + timedelta(minutes=policy.window_minutes))
    return _schedule(deps, plan, request.target, changed_at, window, request_id=request.id)


def watch_drill(deps: Deps, drill: DrillRecord, plan: Plan[Any]) -> Watch | None:
    """After a drill that rolled back and put things back: the same evidence over the time its rollback was in
    place (from the pointer moving to the restore); its request's thread gets the follow-up (never raises)."""
    phases = drill.phases
    moved = phases.get(DrillPhase.pointer_moved.value, phases.get(DrillPhase.command_issued.value))
    restored = phases.get(DrillPhase.rolled_forward.value)
    if drill.id is None or moved is None or restored is None:
        return None
    start = drill.started_at
    in_place = TimeWindow(start + timedelta(seconds=moved), start + timedelta(seconds=max(restored, moved + 1)))
    return _schedule(deps, plan, drill.target, start, in_place, request_id=drill.request_id, drill_id=drill.id)


def _schedule(
    deps: Deps,
    plan: Plan[Any],
    target: ServiceEnv,
    changed_at: datetime,
    after: TimeWindow,
    *,
    request_id: int | None,
    drill_id: int | None = None,
) -> Watch | None:
    kind = deps.kinds.get(plan.kind)
    subject = kind.restored_group(plan) if kind is not None else None
    if subject is None:
        return None
    new = NewWatch(
        target=target,
        subject=subject,
        changed_at=changed_at,
        settled_at=after.start,
        after_end=after.end,
        min_calls=deps.catalog.resolve(target.service, target.environment).verify.min_calls,
        request_id=request_id,
        drill_id=drill_id,
    )
    try:
        return schedule_watch(deps, new=new)
    except RollbackBotError as exc:  # the rollback stands; only its proof is missing, and the log says why
        log.error("could not schedule the proof after rollback for %s: %s", target, exc.user_message)
        return None


def schedule_watch(deps: Deps, *, new: NewWatch) -> Watch | None:
    """Schedule ``new`` when the environment's telemetry can read it; None when it cannot or it exists already."""
    if deps.watches is None or not can_watch(deps.environment(new.target).telemetry, new.subject):
        return None
    watch: Watch | None = deps.watches.schedule(new)
    if watch is not None:
        record(
            deps,
            "signals.watch_scheduled",
            actor="rollback-bot",
            request_id=new.request_id,
            drill_id=new.drill_id,
            subject=new.subject.describe(),
            due_at=watch.due_at.isoformat(),
        )
    return watch


def gather_evidence(telemetry: TelemetryQuery, watch: Watch) -> Evidence:
    """Read the before and after windows and judge them."""
    subject = watch.subject
    before = _figures(telemetry, subject, watch.before)
    after = _figures(telemetry, subject, watch.after)
    verdict, reason = judge(subject, before, after, min_calls=watch.min_calls)
    return Evidence(subject, before, after, verdict, reason, telemetry.source)


def _figures(telemetry: TelemetryQuery, subject: Group, window: TimeWindow) -> Figures:
    """One window: the subject's query when configured; ``by_revision`` for the p95 (and the error rate without it)."""
    revision = subject.value if subject.dimension is Dimension.revision else ""
    rows: tuple[GroupCalls, ...] | None = None
    notes: list[str] = []
    if telemetry.has(QUERY_OF[subject.dimension]):
        rows, note = telemetry.calls_by(subject.dimension, window, revision=revision)
        notes += [note] if note else []
    latency: tuple[GroupCalls, ...] | None = None
    if subject.dimension is Dimension.revision:
        latency = rows
    elif telemetry.has(SignalQuery.by_revision):
        latency, note = telemetry.calls_by(Dimension.revision, window, revision=revision)
        notes += [note] if note else []
    if rows is None and latency is None:
        raise TelemetryError(
            f"the telemetry on {telemetry.source} answers neither {QUERY_OF[subject.dimension].value} nor by_revision"
        )
    return figures(subject, window, rows, latency=latency, partial="; ".join(notes) or None)


def run_due_watches(deps: Deps, policy: WatchPolicy | None = None) -> int:
    """Claim the watches due now and report each (returns how many were claimed)."""
    p = policy or WatchPolicy()
    if deps.watches is None:
        return 0
    now = deps.clock()
    claimed = deps.watches.claim_due(
        now=now, replica=deps.replica_id, lease_until=now + p.lease, max_attempts=p.max_attempts, limit=p.batch
    )
    for watch in claimed:
        try:
            report_watch(deps, watch, p)
        except Exception:  # one watch must not stop the others; its lease runs out and it is taken over
            log.exception("signal watch #%s failed", watch.id)
    return len(claimed)


def report_watch(deps: Deps, watch: Watch, policy: WatchPolicy) -> None:
    """Gather the evidence and post it (or, after the last attempt, why there is none)."""
    store = deps.watches
    assert store is not None
    telemetry = deps.environment(watch.target).telemetry
    try:
        if telemetry is None:
            raise TelemetryError(f"{watch.target} has no telemetry configured any more")
        evidence: Evidence | None = gather_evidence(telemetry, watch)
        problem = None
    except RollbackBotError as exc:
        if watch.attempts < policy.max_attempts:
            retry = policy.retry_base * 2 ** (watch.attempts - 1)
            log.warning("signal watch #%s: %s; retrying in %s", watch.id, exc.user_message, retry)
            store.retry_after(watch, deps.clock() + retry, exc.user_message)
            return
        evidence, problem = None, exc.user_message
    ts = None
    if watch.request_id is not None:
        request = deps.requests.get(watch.request_id)
        posted = deps.notifier.post_proof(request, evidence, problem)
        ts = posted.ts
        proof = CardProof(posted=True, verdict=evidence.verdict if evidence else None, link=posted.link)
        refresh_card(deps, request, proof)
    store.finish(watch, evidence=evidence.to_json() if evidence else None, problem=problem, message_ts=ts)
    record(
        deps,
        "signals.reported",
        actor="rollback-bot",
        request_id=watch.request_id,
        drill_id=watch.drill_id,
        verdict=evidence.verdict.value if evidence else None,
        reason=evidence.reason if evidence else problem,
    )


def refresh_card(deps: Deps, request: RollbackRequest, proof: CardProof) -> None:
    """The finished request's card again, as its execution left it, with the proof line."""
    steps = tuple(StepResult(**step) for step in request.result.get("steps") or ())
    note = str(request.result.get("note") or "")
    deps.notifier.update_card(request, plan_of(deps, request), steps=steps, note=note, proof=proof)
