"""Scheduled work (APScheduler 3): the checklist dispatcher, drift checks, the request-expiry sweep, the claim
loop, signal watches.

Every replica runs the same jobs. The dispatcher (``bot.services.schedule``) ticks every few seconds and
decides itself which checklist fire times are due (``cron.fire_time_of``, within a catch-up window), so
a restart shortly after a fire time still posts it, and no fire time is dropped because workers were
busy: checklists run on a pool of their own and posts are scheduled per channel. The database makes
each fire time post once across replicas. The claim loop (``claim_due``) picks up approved requests nobody
runs yet and executions whose lease ran out, every few seconds on every replica. The drift watch checks each
environment every ``drift.interval_minutes`` on every replica; the database makes each drift post once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.domain.rollback_requests import ServiceEnv
from bot.scheduler.cron import fire_time_of
from bot.services import Deps
from bot.services.drift import DriftWatch
from bot.services.execution import claim_due
from bot.services.proof import run_due_watches
from bot.services.rollbacks import expire_due
from bot.services.schedule import ChecklistDispatcher, SchedulePolicy

__all__ = ["BotScheduler", "build_scheduler", "config_triggers", "fire_time_of"]

log = logging.getLogger("rollback_bot.scheduler")
CHECKLIST_WORKERS = 8
DISPATCH_SECONDS = 5.0
DISPATCH_JOB = "checklists"
WATCH_SECONDS = 15.0
CLAIM_JOB = "claim-executions"
DRIFT_SECONDS = 60.0  # how often the drift watch looks for environments whose interval has passed


class BotScheduler:
    """APScheduler plus the pool that runs checklists; ``start()``, ``shutdown()``."""

    def __init__(
        self, scheduler: BackgroundScheduler, pool: ThreadPoolExecutor, dispatcher: ChecklistDispatcher
    ) -> None:
        self.scheduler, self._pool, self.dispatcher = scheduler, pool, dispatcher

    @property
    def running(self) -> bool:
        """True between ``start()`` and ``shutdown()``."""
        return bool(self.scheduler.running)

    def start(self) -> None:
        """Start ticking (the first tick runs at once: the catch-up after a restart)."""
        self.scheduler.start()

    def shutdown(self, wait: bool = True) -> None:
        """Stop ticking; with ``wait``, let running checklists (and the posts due now) finish.

        Posts paced for later are not made by this replica: their claims' leases run out and another
        replica (or this one, restarted) takes them over.
        """
        for job in (CLAIM_JOB, DISPATCH_JOB):
            if self.scheduler.get_job(job):
                self.scheduler.remove_job(job)
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
        self.scheduler.shutdown(wait=wait)


def _post_later(scheduler: BackgroundScheduler, delay: timedelta, post: Callable[[], None]) -> None:
    """Post now (on the caller's thread), or after ``delay`` on the scheduler's threads (never dropped as a misfire)."""
    if delay <= timedelta():
        post()
        return
    scheduler.add_job(post, "date", run_date=datetime.now(UTC) + delay, misfire_grace_time=None)


def _submit(pool: ThreadPoolExecutor, job: Callable[[], object]) -> None:
    def run() -> None:
        try:
            job()
        except Exception:
            log.exception("scheduled checklist failed")

    try:
        pool.submit(run)
    except RuntimeError:  # shutting down: the catch-up or another replica takes this fire time
        log.info("scheduler stopping; a checklist was left to the catch-up")


def build_scheduler(
    deps: Deps,
    *,
    triggers: dict[ServiceEnv, CronTrigger] | None = None,
    expiry_interval_seconds: float = 30.0,
    dispatch_seconds: float = DISPATCH_SECONDS,
    policy: SchedulePolicy | None = None,
    watch_seconds: float = WATCH_SECONDS,
    drift_seconds: float = DRIFT_SECONDS,
) -> BotScheduler:
    """The jobs: checklist dispatch (cron from config unless ``triggers``), drift checks, expiry sweep, claim loop
    (at once), and the proof-after-rollback watches (``bot.services.proof``)."""
    policy = policy or SchedulePolicy()
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    pool = ThreadPoolExecutor(max_workers=CHECKLIST_WORKERS, thread_name_prefix="checklist")
    chosen = triggers if triggers is not None else config_triggers(deps)
    schedules = {target: partial(_latest, trigger, policy.catch_up) for target, trigger in chosen.items()}
    missed = {target: partial(_latest, trigger, policy.max_retry_age) for target, trigger in chosen.items()}
    dispatcher = ChecklistDispatcher(
        deps,
        schedules,
        run=partial(_submit, pool),
        post_later=partial(_post_later, scheduler),
        policy=policy,
        missed=missed,
    )
    scheduler.add_job(
        dispatcher.tick, "interval", seconds=dispatch_seconds, next_run_time=datetime.now(UTC), id=DISPATCH_JOB
    )
    drift = DriftWatch(deps)
    scheduler.add_job(drift.tick, "interval", seconds=drift_seconds, next_run_time=datetime.now(UTC), id="drift")
    scheduler.add_job(lambda: expire_due(deps), "interval", seconds=expiry_interval_seconds, id="expire-requests")
    scheduler.add_job(lambda: run_due_watches(deps), "interval", seconds=watch_seconds, id="signal-watches")
    scheduler.add_job(
        lambda: claim_due(deps),
        "interval",
        seconds=deps.leases.claim_every,
        next_run_time=datetime.now(UTC),
        id=CLAIM_JOB,
    )
    return BotScheduler(scheduler, pool, dispatcher)


def _latest(trigger: CronTrigger, lookback: timedelta, now: datetime) -> datetime | None:
    return fire_time_of(trigger, now, lookback=lookback)


def config_triggers(deps: Deps) -> dict[ServiceEnv, CronTrigger]:
    """Cron triggers from each environment's `checklist.schedule` in its timezone."""
    triggers: dict[ServiceEnv, CronTrigger] = {}
    for policy in deps.catalog.environments:
        if policy.checklist.schedule:
            tz = ZoneInfo(policy.checklist.timezone)
            triggers[policy.target] = CronTrigger.from_crontab(policy.checklist.schedule, timezone=tz)
    return triggers
