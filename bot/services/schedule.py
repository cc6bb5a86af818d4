"""Scheduled checklists that are not lost: catch-up after a restart, retried posts, per-channel pacing.

Every replica ticks (every few seconds): for each scheduled target it computes the latest fire time
within the catch-up window and, when it has not handled that fire time yet, hands it to a worker. The
worker claims the fire time in the database (one replica wins), runs the checklist, stores it on the
claim, and schedules the post at the channel's next free slot, reserved in the database so replicas
pace together (Slack allows about one message per second per channel; a checklist is two). A failed
post, or a crash anywhere between claim and post, leaves the claim unposted: once its lease runs out,
the next tick on any replica takes it over (with backoff, a bounded number of times) and posts the
stored run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from bot.domain.readiness import ChecklistClaim
from bot.domain.rollback_requests import ServiceEnv
from bot.errors import RollbackBotError
from bot.services import Background, Deps
from bot.services.checklist_runs import ChecklistRun, post_checklist, run_checklist

log = logging.getLogger("rollback_bot.schedule")

LatestFire = Callable[[datetime], datetime | None]
PostLater = Callable[[timedelta, Callable[[], None]], None]


@dataclass(frozen=True)
class SchedulePolicy:
    """The scheduler's bounds (docs/operations.md)."""

    catch_up: timedelta = timedelta(minutes=15)  # a fire time this recent still runs after a restart (or a late tick)
    lease: timedelta = timedelta(minutes=10)  # how long a holder may take before another takes over
    retry_base: timedelta = timedelta(seconds=30)  # first retry of a failed post; doubles each attempt
    max_attempts: int = 5
    max_retry_age: timedelta = timedelta(hours=6)  # never post a checklist older than this
    # Per channel: a checklist is two messages (summary, details in its thread); Slack allows ~1 per second.
    post_interval: timedelta = timedelta(seconds=2)
    take_over_batch: int = 50


class ChecklistDispatcher:
    """Turns scheduled fire times into posted checklists, once across replicas (see the module doc)."""

    def __init__(
        self,
        deps: Deps,
        schedules: Mapping[ServiceEnv, LatestFire],
        *,
        run: Background,
        post_later: PostLater,
        policy: SchedulePolicy | None = None,
        missed: Mapping[ServiceEnv, LatestFire] | None = None,
    ) -> None:
        """``schedules`` give each target's latest fire time within the catch-up window; ``missed`` (optional) its
        latest within ``max_retry_age``, to notice fire times that passed while no replica ran."""
        self._deps, self._schedules, self._run, self._post_later = deps, dict(schedules), run, post_later
        self.policy = policy or SchedulePolicy()
        self._seen: dict[ServiceEnv, datetime] = {}
        self._missed = dict(missed or {})
        self._missed_seen: dict[ServiceEnv, datetime] = {}

    def tick(self) -> None:
        """Hand new fire times and claims to take over to the workers; never waits for them."""
        now, p = self._deps.clock(), self.policy
        for target, latest in self._schedules.items():
            fire = latest(now)
            if fire is not None and self._seen.get(target) != fire:
                self._seen[target] = fire
                self._run(partial(self._claim_and_run, target, fire))
            elif fire is None and target in self._missed:
                self._notice_missed(target, now)
        taken = self._deps.checklists.take_over(
            now=now,
            replica=self._deps.replica_id,
            lease_until=now + p.lease,
            max_attempts=p.max_attempts,
            since=now - p.max_retry_age,
            limit=p.take_over_batch,
        )
        for claim in taken:
            log.info(
                "taking over the checklist of %s at %s (attempt %d)", claim.target, claim.fire_time, claim.attempts
            )
            self._run(partial(self._resume, claim))

    def _notice_missed(self, target: ServiceEnv, now: datetime) -> None:
        """A fire time older than the catch-up window that no replica claimed was missed: it is claimed with every
        attempt used (so it is never run late, and counted once across replicas), logged and counted."""
        old = self._missed[target](now)
        if old is None or old >= now - self.policy.catch_up or self._missed_seen.get(target) == old:
            return
        self._missed_seen[target] = old
        replica, attempts = self._deps.replica_id, self.policy.max_attempts
        if self._deps.checklists.claim(target, fire_time=old, replica=replica, lease_until=now, attempts=attempts):
            log.error(
                "missed the checklist of %s at %s: no replica ran within %s of it (catch-up window)",
                target,
                old.isoformat(),
                self.policy.catch_up,
            )
            self._deps.metrics.count("checklists_missed", target=target)

    def _claim_and_run(self, target: ServiceEnv, fire: datetime) -> None:
        now = self._deps.clock()
        claim = self._deps.checklists.claim(
            target, fire_time=fire, replica=self._deps.replica_id, lease_until=now + self.policy.lease
        )
        if claim is None:
            log.info("checklist for %s at %s already claimed", target, fire.isoformat())
            return
        self._resume(claim)

    def _resume(self, claim: ChecklistClaim) -> None:
        """Run (unless a previous holder did) and schedule the post at the channel's next slot."""
        deps = self._deps
        try:
            run = self._stored_run(claim)
            if run is None:
                run = run_checklist(deps, target=claim.target, trigger="schedule")
                claim = deps.checklists.claim_ran(claim, run.run_id)
        except RollbackBotError as exc:
            self._failed(claim, f"could not run: {exc.user_message}")
            return
        channel = deps.catalog.resolve(claim.target.service, claim.target.environment).checklist.channel
        if not channel:
            log.warning("checklist for %s ran on schedule but has no channel (checklist.channel)", claim.target)
            deps.checklists.claim_posted(claim)
            return
        now = deps.clock()
        slot = deps.checklists.reserve_post_slot(channel, now=now, interval=self.policy.post_interval)
        deps.checklists.extend_lease(claim, slot + self.policy.lease)
        self._post_later(slot - now, partial(self._post, claim, run, channel))

    def _stored_run(self, claim: ChecklistClaim) -> ChecklistRun | None:
        report = self._deps.checklists.report(claim.run_id) if claim.run_id is not None else None
        return ChecklistRun(claim.run_id, report) if claim.run_id is not None and report is not None else None

    def _post(self, claim: ChecklistClaim, run: ChecklistRun, channel: str) -> None:
        try:
            post_checklist(self._deps, run, channel=channel)
        except RollbackBotError as exc:
            self._failed(claim, f"could not post to {channel}: {exc.user_message}")
            return
        self._deps.checklists.claim_posted(claim)

    def _failed(self, claim: ChecklistClaim, why: str) -> None:
        """Leave the claim to be taken over after a backoff, or give up after the last attempt."""
        p = self.policy
        if claim.attempts >= p.max_attempts:
            log.error(
                "gave up on the checklist of %s at %s after %d attempts: %s",
                claim.target,
                claim.fire_time,
                claim.attempts,
                why,
            )
            self._deps.metrics.count("checklists_unposted", target=claim.target)
            return
        retry = p.retry_base * 2 ** (claim.attempts - 1)
        log.warning("checklist of %s at %s %s; retrying in %s", claim.target, claim.fire_time, why, retry)
        self._deps.checklists.extend_lease(claim, self._deps.clock() + retry)
