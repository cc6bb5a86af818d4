"""Scheduled checklists are not lost: catch-up after a restart, many environments at once, retries, a crash
between claim and post, per-channel pacing. On SQLite and PostgreSQL, with the clock moved by hand."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.adapters.db.models import ChecklistClaimRow, ChecklistRunRow
from bot.domain.rollback_requests import ServiceEnv
from bot.services.schedule import ChecklistDispatcher, SchedulePolicy
from tests.conftest import FrozenClock

from .dispatch_harness import RecordingNotifier, Replica, daily, lookbacks, replica, schedules, targets

FIRE = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
POLICY = SchedulePolicy()


class Inline:
    """Runs background work at once and keeps deferred posts (with their delays) for the test to release."""

    def __init__(self) -> None:
        self.deferred: list[tuple[timedelta, Callable[[], None]]] = []

    def run(self, job: Callable[[], object]) -> None:
        job()

    def post_later(self, delay: timedelta, post: Callable[[], None]) -> None:
        if delay <= timedelta():
            post()
        else:
            self.deferred.append((delay, post))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(FIRE + timedelta(minutes=2))  # the bot (re)starts two minutes after the fire time


@pytest.fixture
def one(db_url: str, clock: FrozenClock) -> Iterator[Replica]:
    r = replica(db_url, {ServiceEnv("svc000", "prod"): "C0DEPLOYS"}, clock, name="replica-a")
    yield r
    r.close()


def _dispatcher(
    r: Replica, inline: Inline, run: Callable[[Callable[[], object]], None] | None = None, **policy: timedelta
) -> ChecklistDispatcher:
    p = SchedulePolicy(**policy)
    chosen = {t.target: daily(8, 0) for t in r.deps.catalog.environments}
    return ChecklistDispatcher(
        r.deps,
        schedules(chosen, p),
        run=run or inline.run,
        post_later=inline.post_later,
        policy=p,
        missed=lookbacks(chosen, p),
    )


def _runs(r: Replica) -> int:
    with Session(r.engine) as session:
        return int(session.scalar(select(func.count()).select_from(ChecklistRunRow)) or 0)


def test_a_restart_two_minutes_after_the_fire_time_posts_once_across_replicas(db_url: str, clock: FrozenClock) -> None:
    channels = {ServiceEnv("svc000", "prod"): "C0DEPLOYS"}
    shared = RecordingNotifier()
    replicas = [replica(db_url, channels, clock, name=f"replica-{i}", notifier=shared) for i in range(2)]
    try:
        dispatchers = [_dispatcher(r, Inline()) for r in replicas]
        threads = [threading.Thread(target=d.tick) for d in dispatchers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for d in dispatchers:
            d.tick()  # later ticks change nothing
        assert [(p.channel, p.target.service) for p in shared.posts] == [("C0DEPLOYS", "svc000")]
        assert _runs(replicas[0]) == 1
        clock.advance(minutes=POLICY.catch_up.total_seconds() / 60)
        fresh = _dispatcher(replica(db_url, channels, clock, name="replica-late"), Inline())
        fresh.tick()  # a restart after the catch-up window: the fire time is history
        assert len(shared.posts) == 1
    finally:
        for r in replicas:
            r.close()


def test_many_environments_at_the_same_minute_all_post_even_when_workers_are_slow(
    db_url: str, clock: FrozenClock
) -> None:
    """40 environments, 8 workers, slow posts, a catch-up window shorter than the queue: none is dropped."""
    channels = {t: f"C{i:03d}" for i, t in enumerate(targets(40))}
    r = replica(db_url, channels, clock, name="replica-a", notifier=RecordingNotifier(delay=0.05))
    pool = ThreadPoolExecutor(max_workers=8)
    try:
        d = _dispatcher(r, Inline(), run=pool.submit, catch_up=timedelta(minutes=3))  # the scheduler's worker pool
        d.tick()
        clock.advance(minutes=5)  # long past the window while the queue drains
        pool.shutdown(wait=True)
    finally:
        r.close()
    assert sorted(p.target.service for p in r.notifier.posts) == sorted(t.service for t in channels)


def test_a_failed_post_is_retried_with_backoff_then_posted_once(one: Replica, clock: FrozenClock) -> None:
    one.notifier.failures = 2
    inline = Inline()
    d = _dispatcher(one, inline)
    d.tick()  # attempt 1 fails
    clock.advance(seconds=20)
    d.tick()  # within the 30 s backoff: nothing
    assert one.notifier.posts == []
    clock.advance(seconds=11)
    d.tick()  # attempt 2 fails; next in 60 s
    clock.advance(seconds=61)
    d.tick()  # attempt 3 posts the stored run
    d.tick()
    assert len(one.notifier.posts) == 1 and _runs(one) == 1
    with Session(one.engine) as session:
        claim = session.scalars(select(ChecklistClaimRow)).one()
    assert claim.attempts == 3 and claim.posted_at == clock.now and claim.run_id is not None


def test_retries_are_bounded(one: Replica, clock: FrozenClock) -> None:
    one.notifier.failures = 100
    d = _dispatcher(one, Inline())
    for _ in range(10):
        d.tick()
        clock.advance(minutes=30)
    assert one.notifier.failures == 100 - POLICY.max_attempts
    unposted = 'rollback_bot_checklists_unposted_total{environment="prod",service="svc000"} 1.0'
    assert unposted in one.metrics.render().decode()
    assert one.notifier.posts == []


def test_a_claim_left_by_a_crash_between_claim_and_post_is_taken_over_once(
    db_url: str, one: Replica, clock: FrozenClock
) -> None:
    target = ServiceEnv("svc000", "prod")
    dead = one.deps.checklists.claim(target, fire_time=FIRE, replica="crashed", lease_until=clock.now + POLICY.lease)
    assert dead is not None
    d = _dispatcher(one, Inline())
    d.tick()
    assert one.notifier.posts == []  # the holder's lease still runs: it may be alive
    clock.advance(minutes=POLICY.lease.total_seconds() / 60 + 1)
    d.tick()
    d.tick()
    assert [p.target for p in one.notifier.posts] == [target] and _runs(one) == 1


def test_posts_to_one_channel_are_paced_and_never_block_the_tick(tmp_path: Path, clock: FrozenClock) -> None:
    """SQLite only (400 checklists); replicas pacing one channel together: test_scheduler, on both databases."""
    db_url = f"sqlite:///{tmp_path / 'bot.db'}"
    channels = dict.fromkeys(targets(400), "C0BUSY") | {ServiceEnv("other", "prod"): "C0QUIET"}
    r = replica(db_url, channels, clock, name="replica-a")
    inline = Inline()
    try:
        _dispatcher(r, inline).tick()
    finally:
        r.close()
    delays = sorted(d.total_seconds() for d, _ in inline.deferred)
    assert len(r.notifier.posts) == 2  # each channel's first post goes at once, the quiet one included
    assert {p.channel for p in r.notifier.posts} == {"C0BUSY", "C0QUIET"}
    assert len(delays) == 399
    assert delays == pytest.approx([POLICY.post_interval.total_seconds() * i for i in range(1, 400)])


MISSED = 'rollback_bot_checklists_missed_total{environment="prod",service="svc000"} 1.0'


def test_a_fire_time_no_replica_ran_within_the_window_is_counted_missed_once_across_replicas(
    db_url: str, clock: FrozenClock
) -> None:
    """Every replica was down from before 08:00 until 09:00: the day's checklist is not posted late; the miss is
    logged and counted once, by one of the replicas that start, and never again."""
    channels = {ServiceEnv("svc000", "prod"): "C0DEPLOYS"}
    clock.advance(hours=1)
    shared = RecordingNotifier()
    replicas = [replica(db_url, channels, clock, name=f"replica-{i}", notifier=shared) for i in range(2)]
    try:
        dispatchers = [_dispatcher(r, Inline()) for r in replicas]
        threads = [threading.Thread(target=d.tick) for d in dispatchers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for d in dispatchers:
            d.tick()
        _dispatcher(replica(db_url, channels, clock, name="replica-late", notifier=shared), Inline()).tick()
        rendered = [r.metrics.render().decode() for r in replicas]
        assert sum(MISSED in text for text in rendered) == 1, rendered
        assert shared.posts == [] and _runs(replicas[0]) == 0
    finally:
        for r in replicas:
            r.close()


def test_a_fire_time_handled_in_the_window_is_never_counted_missed(one: Replica, clock: FrozenClock) -> None:
    d = _dispatcher(one, Inline())
    d.tick()  # two minutes late: caught up and posted
    clock.advance(hours=1)
    d.tick()
    _dispatcher(one, Inline()).tick()  # a restart an hour later sees the claim of the posted run
    assert len(one.notifier.posts) == 1
    assert "rollback_bot_checklists_missed_total{" not in one.metrics.render().decode()
