"""Drift: live state against the newest release, and each new drift posted once across replicas.

A drift is one item whose live value is not the one the newest release recorded (Azure upgraded a model,
a prompt was activated by hand, traffic moved in the portal). Every replica checks on the schedule; each
drift is claimed in the database before it is posted, so it is posted once. A post that fails gives its
claims back, and a claim whose holder died runs out after a lease, so the next check posts it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.domain.kinds import RELEASE
from bot.domain.releases import DriftReport, ItemDiff, ReleaseStatus, differences, warnings_of
from bot.domain.rollback_requests import ServiceEnv
from bot.domain.tree import FlowState
from bot.errors import RollbackBotError, UsageError
from bot.kinds.layers import read_layers
from bot.services import Deps
from bot.services.audit import record

log = logging.getLogger("rollback_bot.drift")
LEASE = timedelta(minutes=5)


def check_drift(deps: Deps, target: ServiceEnv) -> DriftReport:
    """Compare every layer of ``target`` with its newest release that is not bad (read-only): a release marked bad
    (a deploy the guard rolled back) is never the state live should be in."""
    release = next((r for r in deps.releases.recent(target, limit=50) if r.status is not ReleaseStatus.bad), None)
    if release is None:
        why = f"no release of {target} is recorded yet (`rollback-bot release record {target.service} --env ...`)"
        return DriftReport(target, None, errors=(why,))
    with deps.read_snapshot():
        live, problems = read_layers(deps.environment(target).kinds)
    report = DriftReport(
        target,
        release,
        diffs=differences(live, release.layers),
        warnings=warnings_of(live),
        errors=tuple(f"{kind} could not be read: {why}" for kind, why in problems.items()),
        last_good=deps.releases.latest(target, status=ReleaseStatus.good),
    )
    for kind in report.kinds:
        deps.metrics.count("drifts", target=target, kind=kind)
    return report


def rollback_state(deps: Deps, report: DriftReport) -> FlowState | None:
    """`/rollback` preset to 'everything back to the last good release' (None: no good release, or no incident
    channel given by id to open the request in)."""
    policy = deps.catalog.resolve(report.target.service, report.target.environment)
    channel = policy.incident_channel
    if report.last_good is None or channel is None or RELEASE not in deps.kinds:
        return None
    target = report.target
    return FlowState(channel, target.service, target.environment, False, RELEASE, str(report.last_good.id), True)


def post_drift(deps: Deps, report: DriftReport, *, new_only: bool, replica: str | None = None) -> str | None:
    """Post ``report``'s drift to the environment's deploy channel; with ``new_only`` only drift no replica posted
    yet (each claimed first). Returns the message ts, or None when there was nothing to post.

    Raises:
        UsageError: no channel is configured for drift.
        SlackApiError: the post failed (its claims are given back first).
    """
    if report.release is None or not report.drifted:
        return None
    target = report.target
    channel = deps.catalog.resolve(target.service, target.environment).drift_channel
    if not channel:
        raise UsageError(f"No channel is configured for drift of {target} (drift.channel or checklist.channel).")
    now = deps.requests.now()  # leases on the database's clock, never one replica's (replicas' clocks may differ)
    diffs = _claimed(deps, report, replica or deps.replica_id, now) if new_only else list(report.diffs)
    if not diffs:
        return None
    keys = [d.key(report.release.id) for d in diffs]
    try:
        ts = deps.notifier.post_drift(channel, report, diffs, rollback=rollback_state(deps, report))
    except RollbackBotError:
        deps.releases.release_drift(target, keys, now=now)
        raise
    deps.releases.drift_posted(target, keys, at=deps.clock(), channel=channel, ts=ts)
    record(
        deps,
        "drift.posted",
        actor="rollback-bot",
        target=str(target),
        release=report.release.id,
        channel=channel,
        drift=drift_lines(diffs),
    )
    return ts


def _claimed(deps: Deps, report: DriftReport, replica: str, now: datetime) -> list[ItemDiff]:
    assert report.release is not None
    won = []
    for diff in report.diffs:
        summary = f"{diff.kind} {diff.name}: {diff.live_text}"
        if deps.releases.claim_drift(
            report.target,
            diff.key(report.release.id),
            release_id=report.release.id,
            summary=summary,
            replica=replica,
            now=now,
            lease=now + LEASE,
        ):
            won.append(diff)
    return won


class DriftWatch:
    """The schedule's drift check: each environment every ``drift.interval_minutes``, new drift posted once."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._last: dict[ServiceEnv, datetime] = {}

    def due(self, now: datetime) -> list[ServiceEnv]:
        """Environments whose interval has passed since this replica last checked them."""
        out = []
        for policy in self._deps.catalog.environments:
            every = policy.drift.interval_minutes
            last = self._last.get(policy.target)
            if every and policy.drift_channel and (last is None or now - last >= timedelta(minutes=every)):
                out.append(policy.target)
        return out

    def tick(self) -> None:
        """Check every due environment that has a release; post what no replica posted yet."""
        now = self._deps.clock()
        for target in self.due(now):
            self._last[target] = now
            try:
                report = check_drift(self._deps, target)
                post_drift(self._deps, report, new_only=True)
            except RollbackBotError as exc:
                log.warning("drift check of %s failed: %s", target, exc.user_message)


def drift_lines(diffs: Sequence[ItemDiff]) -> list[str]:
    """One line per drifted item: ``model: release gpt4o-stable: gpt-4o 2024-08-06 … → now …``."""
    return [f"{d.kind}: release {d.recorded_text} → now {d.live_text}" for d in diffs]
