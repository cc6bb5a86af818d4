"""Scheduled work (APScheduler 3): the checklist cron per environment and the request-expiry sweep.

Every replica runs the same schedule; for each fire time exactly one of them claims it in the database
(a unique row) and posts. The fire time is computed from the trigger, so all replicas agree on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.domain.model import ServiceEnv
from bot.errors import RollbackBotError
from bot.services import Deps
from bot.services.checklist import run_scheduled
from bot.services.execution import reconcile_interrupted
from bot.services.rollbacks import expire_due

log = logging.getLogger("rollback_bot.scheduler")
MISFIRE_GRACE = timedelta(minutes=5)


def fire_time_of(trigger: BaseTrigger, now: datetime, *, lookback: timedelta = MISFIRE_GRACE) -> datetime | None:
    """The trigger's latest fire time at or before ``now`` (within ``lookback``), the same on every replica."""
    latest: datetime | None = None
    candidate = trigger.get_next_fire_time(None, now - lookback)
    while candidate is not None and candidate <= now:
        latest = candidate
        candidate = trigger.get_next_fire_time(candidate, candidate + timedelta(microseconds=1))
    return latest


def checklist_job(deps: Deps, target: ServiceEnv, trigger: BaseTrigger) -> Callable[[], None]:
    """The job for one target: claim this fire time, then run and post (or skip if another replica did)."""

    def job() -> None:
        fire = fire_time_of(trigger, deps.clock())
        if fire is None:
            log.warning("checklist for %s fired outside its schedule; skipped", target)
            return
        try:
            run_scheduled(deps, target=target, fire_time=fire)
        except RollbackBotError as exc:
            log.error("scheduled checklist for %s failed: %s", target, exc.user_message)

    return job


def build_scheduler(
    deps: Deps,
    *,
    triggers: dict[ServiceEnv, BaseTrigger] | None = None,
    expiry_interval_seconds: float = 30.0,
) -> BackgroundScheduler:
    """A scheduler with a checklist job per scheduled environment (cron from config unless ``triggers``)."""
    scheduler = BackgroundScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": int(MISFIRE_GRACE.total_seconds())},
    )
    for target, trigger in (triggers if triggers is not None else config_triggers(deps)).items():
        scheduler.add_job(checklist_job(deps, target, trigger), trigger, id=f"checklist:{target}", name=str(target))
    scheduler.add_job(lambda: expire_due(deps), "interval", seconds=expiry_interval_seconds, id="expire-requests")
    scheduler.add_job(lambda: reconcile_interrupted(deps), "interval", seconds=60, id="reconcile-interrupted")
    return scheduler


def config_triggers(deps: Deps) -> dict[ServiceEnv, BaseTrigger]:
    """Cron triggers from each environment's `checklist.schedule` in its timezone."""
    triggers: dict[ServiceEnv, BaseTrigger] = {}
    for policy in deps.catalog.environments:
        if policy.checklist.schedule:
            tz = ZoneInfo(policy.checklist.timezone)
            triggers[policy.target] = CronTrigger.from_crontab(policy.checklist.schedule, timezone=tz)
    return triggers
