"""Signal watches in the bot's database (SQLite and PostgreSQL): scheduled once per request or drill, claimed by one
replica at a time, taken over when a holder's lease ran out, bounded attempts, outcomes kept."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.adapters.db import migrate
from bot.adapters.db.engine import make_engine, make_session_factory
from bot.adapters.db.watches import SqlWatchStore
from bot.domain.rollback_requests import ServiceEnv
from bot.domain.signals import Dimension, Group
from bot.domain.watches import INGESTION_GRACE, NewWatch

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TARGET = ServiceEnv("pharmabot", "prod")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def store(engine: Engine) -> SqlWatchStore:
    return SqlWatchStore(make_session_factory(engine), lambda: T0)


def new(request_id: int | None = 7, drill_id: int | None = None) -> NewWatch:
    return NewWatch(
        target=TARGET,
        subject=Group(Dimension.prompt_version, "drug_info", "3"),
        changed_at=T0,
        settled_at=T0 + timedelta(seconds=4),
        after_end=T0 + timedelta(minutes=10, seconds=4),
        min_calls=20,
        request_id=request_id,
        drill_id=drill_id,
    )


def test_a_watch_is_scheduled_once_per_request_and_per_drill(engine: Engine) -> None:
    watches = store(engine)
    first = watches.schedule(new())
    assert first is not None and first.due_at == T0 + timedelta(minutes=10, seconds=4) + INGESTION_GRACE
    assert watches.schedule(new()) is None
    assert watches.schedule(new(request_id=None, drill_id=3)) is not None
    assert watches.schedule(new(request_id=None, drill_id=3)) is None
    assert watches.schedule(new(request_id=8, drill_id=4)) is not None  # a drill run from a request
    with pytest.raises(ValueError, match="belongs to a request, a drill"):
        new(request_id=None, drill_id=None)


def test_nothing_is_claimed_before_it_is_due(engine: Engine) -> None:
    watches = store(engine)
    watch = watches.schedule(new())
    assert watch is not None
    early = watch.due_at - timedelta(seconds=1)
    assert (
        watches.claim_due(now=early, replica="a", lease_until=early + timedelta(minutes=5), max_attempts=3, limit=10)
        == []
    )


def test_two_replicas_claiming_together_claim_each_watch_once(engine: Engine) -> None:
    for request_id in range(1, 21):
        store(engine).schedule(new(request_id=request_id))
    now = T0 + timedelta(hours=1)

    def claim(replica: str) -> list[int]:
        got = store(engine).claim_due(
            now=now, replica=replica, lease_until=now + timedelta(minutes=5), max_attempts=3, limit=50
        )
        return [w.id for w in got]

    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.map(claim, ["replica-a", "replica-b"])
    assert sorted(a + b) == sorted(set(a + b))
    assert len(a + b) == 20


def test_a_held_watch_is_taken_over_after_its_lease_and_attempts_are_bounded(engine: Engine) -> None:
    watches = store(engine)
    watches.schedule(new())
    now = T0 + timedelta(hours=1)
    lease = timedelta(minutes=5)
    [first] = watches.claim_due(now=now, replica="a", lease_until=now + lease, max_attempts=2, limit=5)
    assert first.attempts == 1
    assert (
        watches.claim_due(now=now + timedelta(minutes=1), replica="b", lease_until=now + lease, max_attempts=2, limit=5)
        == []
    )
    later = now + lease + timedelta(seconds=1)
    [again] = watches.claim_due(now=later, replica="b", lease_until=later + lease, max_attempts=2, limit=5)
    assert (again.id, again.attempts) == (first.id, 2)
    latest = later + lease + timedelta(seconds=1)
    assert watches.claim_due(now=latest, replica="c", lease_until=latest + lease, max_attempts=2, limit=5) == []


def test_a_retry_waits_and_a_finished_watch_keeps_its_outcome(engine: Engine) -> None:
    watches = store(engine)
    watches.schedule(new())
    now = T0 + timedelta(hours=1)
    [watch] = watches.claim_due(now=now, replica="a", lease_until=now + timedelta(minutes=5), max_attempts=5, limit=5)
    watches.retry_after(watch, now + timedelta(minutes=2), "Log Analytics is throttling")
    assert (
        watches.claim_due(now=now + timedelta(minutes=1), replica="a", lease_until=now, max_attempts=5, limit=5) == []
    )
    retry_at = now + timedelta(minutes=2, seconds=1)
    [watch] = watches.claim_due(
        now=retry_at, replica="a", lease_until=retry_at + timedelta(minutes=5), max_attempts=5, limit=5
    )
    assert watches.outcome(request_id=7) is None
    watches.finish(watch, evidence={"verdict": "recovered"}, problem=None, message_ts="1700000000.000200")
    assert watches.outcome(request_id=7) == {
        "evidence": {"verdict": "recovered"},
        "problem": None,
        "message_ts": "1700000000.000200",
    }
    assert (
        watches.claim_due(now=retry_at + timedelta(hours=1), replica="b", lease_until=retry_at, max_attempts=5, limit=5)
        == []
    )
