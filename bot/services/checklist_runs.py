"""The pre-deploy checklist: run the five checks, store, post; scheduled runs post from one replica."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bot.domain.readiness import ChecklistReport
from bot.domain.rollback_requests import ServiceEnv
from bot.errors import UsageError
from bot.services import Deps
from bot.services.audit import record
from bot.services.checks import ChecklistContext, run_checks

log = logging.getLogger("rollback_bot.checklist")
DEFAULT_PARALLELISM = 32


@dataclass(frozen=True)
class ChecklistRun:
    """A stored checklist result."""

    run_id: int
    report: ChecklistReport


def run_checklist(deps: Deps, *, target: ServiceEnv, trigger: str) -> ChecklistRun:
    """Run the five checks against one consistent read of live state and store the result."""
    with deps.read_snapshot():
        return _run_checklist(deps, target=target, trigger=trigger)


def _run_checklist(deps: Deps, *, target: ServiceEnv, trigger: str) -> ChecklistRun:
    policy = deps.catalog.resolve(target.service, target.environment)
    now = deps.clock()
    ctx = ChecklistContext(
        target=target,
        now=now,
        env=deps.environment(target),
        kinds=deps.kinds,
        policy=policy.checklist,
        last_passing_drill=deps.drills.last_passing(target),
    )
    frozen = deps.freezes.active(target) if deps.freezes is not None else None
    report = ChecklistReport(target, now, run_checks(ctx), frozen)
    run_id = deps.checklists.record(report, trigger=trigger)
    deps.metrics.count("checklists", target=target, overall=report.overall.value)
    return ChecklistRun(run_id, report)


def run_checklists(
    deps: Deps, *, targets: Sequence[ServiceEnv], trigger: str, parallelism: int = DEFAULT_PARALLELISM
) -> list[ChecklistRun]:
    """Checklists for many targets at once, at most ``parallelism`` in flight; results in ``targets`` order.

    All of them share one read snapshot: a resource several services use (a database server, a model
    account) is read once for the whole run.
    """
    if not targets:
        return []
    with deps.read_snapshot(), ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(targets)))) as pool:
        # Each task runs in a copy of this context, so the worker threads see the snapshot.
        futures = [
            pool.submit(contextvars.copy_context().run, _run_checklist, deps, target=t, trigger=trigger)
            for t in targets
        ]
        return [f.result() for f in futures]


def post_checklist(deps: Deps, run: ChecklistRun, *, channel: str | None = None) -> str:
    """Post the summary (details in its thread) to ``channel`` or the environment's checklist channel."""
    target = run.report.target
    policy = deps.catalog.resolve(target.service, target.environment)
    where = channel or policy.checklist.channel
    if not where:
        raise UsageError(f"No checklist channel is configured for {target} (checklist.channel).")
    ts = deps.notifier.post_checklist(where, run.report)
    deps.checklists.set_posted(run.run_id, channel=where, ts=ts)
    record(
        deps,
        "checklist.posted",
        actor="rollback-bot",
        target=str(target),
        channel=where,
        overall=run.report.overall.value,
    )
    return ts
