"""The release log on SQLite and PostgreSQL: releases per target, marks, and drift claims across replicas."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.db.engine import make_engine, make_session_factory
from bot.adapters.db.migrate import upgrade
from bot.adapters.db.releases import SqlReleaseLog
from bot.domain.kinds import CODE
from bot.domain.releases import Layer, LayerItem, NewRelease, ReleaseStatus
from bot.domain.rollback_requests import ServiceEnv
from bot.errors import NotFoundError

PROD, STAGING = ServiceEnv("pharmabot", "prod"), ServiceEnv("pharmabot", "staging")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LAYERS = (Layer(CODE, (LayerItem("app", "app--v1=100 img:1", "app: app--v1 100 %", "app--v1", ""),)),)


Replicas = Callable[[int], list[SqlReleaseLog]]


@pytest.fixture
def replicas(db_url: str) -> Iterator[Replicas]:
    """``replicas(n)``: ``n`` release logs, each on its own engine, on one migrated database."""
    engines = []

    def make(n: int) -> list[SqlReleaseLog]:
        engines.extend(make_engine(db_url) for _ in range(n))
        upgrade(engines[0])
        return [SqlReleaseLog(make_session_factory(e)) for e in engines[-n:]]

    yield make
    for engine in engines:
        engine.dispose()


def test_releases_are_per_target_newest_first_and_marked(replicas: Replicas) -> None:
    (log,) = replicas(1)
    first = log.record(NewRelease(PROD, NOW, "cli", "cli:alice", "1.4.2", LAYERS))
    log.record(NewRelease(STAGING, NOW, "cli", "cli:alice", "", LAYERS))
    second = log.record(NewRelease(PROD, NOW + timedelta(hours=1), "deploy", "ci", "1.5.0", LAYERS))
    assert [r.id for r in log.recent(PROD)] == [second.id, first.id]
    assert log.get(PROD, first.id).layers == LAYERS  # stored and read back exactly
    assert log.latest(PROD, status=ReleaseStatus.good) is None
    marked = log.mark(PROD, first.id, ReleaseStatus.good, actor="cli:bob", at=NOW)
    assert (marked.status, marked.marked_by) == (ReleaseStatus.good, "cli:bob")
    assert log.latest(PROD, status=ReleaseStatus.good) == marked
    with pytest.raises(NotFoundError):
        log.get(STAGING, first.id)  # another target's release is not this one's
    with pytest.raises(NotFoundError):
        log.mark(STAGING, first.id, ReleaseStatus.bad, actor="x", at=NOW)


def test_a_drift_is_claimed_by_one_replica_taken_over_after_its_lease_and_never_after_its_post(
    replicas: Replicas,
) -> None:
    logs = replicas(4)
    lease = NOW + timedelta(minutes=5)

    def claim(log: SqlReleaseLog, now: datetime = NOW) -> bool:
        return log.claim_drift(PROD, "k1", release_id=1, summary="model", replica="r", now=now, lease=lease)

    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(claim, logs * 2))
    assert won.count(True) == 1
    assert not claim(logs[0], NOW + timedelta(minutes=1))  # held
    assert claim(logs[1], NOW + timedelta(minutes=6))  # the holder died: its lease ran out
    logs[1].release_drift(PROD, ["k1"], now=NOW + timedelta(minutes=6))  # the post failed: give it back
    assert claim(logs[2], NOW + timedelta(minutes=6, seconds=1))
    logs[2].drift_posted(PROD, ["k1"], at=NOW, channel="C0DEPLOYS", ts="1.0")
    assert not claim(logs[3], NOW + timedelta(days=1))  # posted: never again
