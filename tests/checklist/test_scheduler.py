"""Scheduled checklists: fire times agree across replicas, and each fire is posted exactly once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import text

from bot.adapters.db.engine import make_engine
from bot.domain.rollback_requests import ServiceEnv
from bot.scheduler import build_scheduler, config_triggers, fire_time_of
from bot.services.schedule import SchedulePolicy
from tests.harness.world import DEPLOYS, World

STAGING = ServiceEnv("pharmabot", "staging")
PROD = ServiceEnv("pharmabot", "prod")


def test_fire_time_is_the_latest_at_or_before_now() -> None:
    trigger = CronTrigger.from_crontab("0 8 * * 1-5", timezone=ZoneInfo("Europe/Berlin"))
    now = datetime(2026, 11, 26, 7, 0, 30, tzinfo=UTC)  # 08:00:30 in Berlin, a Thursday
    assert fire_time_of(trigger, now) == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    assert fire_time_of(trigger, datetime(2026, 11, 26, 9, 0, tzinfo=UTC)) is None  # outside the grace window
    every_second = CronTrigger(second="*", timezone=UTC)
    assert fire_time_of(every_second, datetime(2026, 11, 26, 7, 0, 3, 500000, tzinfo=UTC)) == datetime(
        2026, 11, 26, 7, 0, 3, tzinfo=UTC
    )


def test_config_schedules_become_cron_triggers(world: World) -> None:
    triggers = config_triggers(world.runtime.deps)
    assert set(triggers) == {ServiceEnv("pharmabot", "prod")}
    assert "hour='8'" in str(triggers[ServiceEnv("pharmabot", "prod")])


def test_two_schedulers_on_one_postgres_post_each_fire_once(world: World, postgres_url: str, tmp_path: Path) -> None:
    replica = world.replica()
    triggers = {STAGING: CronTrigger(second="*", timezone=UTC)}
    unpaced = SchedulePolicy(post_interval=timedelta())
    schedulers = [
        build_scheduler(d, triggers=triggers, expiry_interval_seconds=3600, dispatch_seconds=0.2, policy=unpaced)
        for d in (world.runtime.deps, replica.deps)
    ]
    try:
        for s in schedulers:
            s.start()
        time.sleep(4.2)
    finally:
        for s in schedulers:
            s.shutdown(wait=True)
        replica.close()
    engine = make_engine(postgres_url)
    with engine.connect() as conn:
        claims = conn.execute(text("SELECT fire_time, claimed_by FROM checklist_claims")).all()
        runs = conn.execute(text("SELECT count(*) FROM checklist_runs WHERE trigger = 'schedule'")).scalar_one()
    engine.dispose()
    posts = [m for m in world.slack.messages(DEPLOYS) if "Pre-deploy checklist" in m.get("text", "")]
    assert len(claims) >= 3, claims
    assert len({c.fire_time for c in claims}) == len(claims)
    assert runs == len(claims) == len(posts)
    assert len({c.claimed_by for c in claims}) >= 1


def _checklist_posts(world: World) -> list[dict[str, object]]:
    return [m for m in world.slack.messages(DEPLOYS) if "Pre-deploy checklist" in str(m.get("text", ""))]


def test_replicas_starting_two_minutes_after_the_fire_time_post_it_once_paced(world: World) -> None:
    """Both environments fired two minutes before two replicas start; both post once, 2 s apart in the channel."""
    fired = (datetime.now(UTC) - timedelta(minutes=2)).replace(second=0, microsecond=0)
    trigger = CronTrigger(hour=fired.hour, minute=fired.minute, timezone=UTC)
    replica = world.replica()
    policy = SchedulePolicy(post_interval=timedelta(seconds=1))
    schedulers = [
        build_scheduler(d, triggers={PROD: trigger, STAGING: trigger}, expiry_interval_seconds=3600, policy=policy)
        for d in (world.runtime.deps, replica.deps)
    ]
    try:
        for s in schedulers:
            s.start()
        world.wait(lambda: len(_checklist_posts(world)) >= 2, timeout=30, what="both checklists posted")
        time.sleep(1.5)  # a duplicate would have come by now
    finally:
        for s in schedulers:
            s.shutdown(wait=True)
        replica.close()
    posts = _checklist_posts(world)
    assert len(posts) == 2
    first, second = sorted(float(str(p["ts"])) for p in posts)
    # Paced across replicas (the slot is reserved in the database): the second waited for its slot. Only
    # a first post delayed by half a second more than the second could break this lower bound.
    assert second - first >= 0.5
