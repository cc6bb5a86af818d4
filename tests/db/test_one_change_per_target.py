"""One change in flight per target, across replicas: randomized interleavings of request, approve, drill, cancel.

Two replicas (each its own engine, pool and claim loop) share the database (SQLite or PostgreSQL) and one
target's resources (in-memory fakes whose writes take a moment). Each ordering runs a random script of
operations, the replicas' halves on two threads, executions in the replicas' pools; every write to the
target is counted while it is in flight. Never two at once.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import wraps
from typing import Any

import pytest

from bot.adapters.db.engine import make_engine, make_session_factory
from bot.adapters.db.migrate import upgrade
from bot.adapters.db.records import SqlDrillLog
from bot.adapters.db.repository import SqlAuditLog, SqlRequestRepository
from bot.domain.catalog import Catalog
from bot.domain.kinds import CODE, PROMPT
from bot.domain.rollback_requests import RequestStatus
from bot.domain.tree import FlowState
from bot.errors import RollbackBotError
from bot.services import Deps, rollbacks
from bot.services.drills import start_drill
from bot.services.execution import claim_due, start_execution
from bot.services.replica import LocalExecutions
from tests.fakes import ALICE, BOB, CHANNEL, TARGET, FastWorld, fast_world

ORDERINGS = 200
OPS_PER_REPLICA = 5


class WriteMeter:
    """Counts writes to the target while they are in flight; remembers the most ever at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = self.most = self.total = 0

    def track(self, write: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(write)
        def tracked(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.now += 1
                self.total += 1
                self.most = max(self.most, self.now)
            try:
                time.sleep(0.002)  # a write takes a moment: room for another to overlap, were it allowed
                return write(*args, **kwargs)
            finally:
                with self._lock:
                    self.now -= 1

        return tracked


@dataclass
class Replica:
    name: str
    deps: Deps
    pool: ThreadPoolExecutor

    def idle(self) -> None:
        while self.deps.local.running() or self.pool._work_queue.qsize():
            time.sleep(0.005)


def _meter(world: FastWorld) -> WriteMeter:
    meter = WriteMeter()
    for name in ("set_traffic", "activate_revision", "deactivate_revision"):
        setattr(world.apps, name, meter.track(getattr(world.apps, name)))
    world.prompts.activate = meter.track(world.prompts.activate)  # type: ignore[method-assign]
    return meter


def _replica(world: FastWorld, url: str, name: str) -> Replica:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix=name)
    policy = replace(world.deps.catalog.environments[0], drills_require_approval=False, drills_in_prod=True)

    def background(job: Callable[[], object]) -> None:
        pool.submit(job)

    deps = replace(
        world.deps,
        catalog=Catalog((policy,)),
        requests=SqlRequestRepository(sessions, world.clock),
        audit=SqlAuditLog(sessions),
        drills=SqlDrillLog(sessions),
        run_in_background=background,
        replica_id=name,
        local=LocalExecutions(),
        slots=None,
    )
    return Replica(name, deps, pool)


def _ops(rng: random.Random) -> list[Callable[[Replica], object]]:
    def open_code(r: Replica) -> object:
        state = FlowState(CHANNEL, TARGET.service, TARGET.environment, True, rng.choice([CODE, PROMPT]))
        return rollbacks.open_request(r.deps, state=state, reason="bad deploy", requester_id=ALICE)

    def approve(r: Replica) -> object:
        pending = r.deps.requests.list_by_status([RequestStatus.pending])
        return rollbacks.approve(r.deps, request_id=pending[-1].id, user_id=BOB) if pending else None

    def drill(r: Replica) -> object:
        request = start_drill(
            r.deps, target=TARGET, kind=rng.choice([CODE, PROMPT]), requester_id=BOB, channel_id=CHANNEL
        )
        return start_execution(r.deps, request.id)

    def cancel(r: Replica) -> object:
        waiting = r.deps.requests.list_by_status([RequestStatus.pending, RequestStatus.approved])
        return rollbacks.cancel(r.deps, request_id=waiting[-1].id, user_id=ALICE) if waiting else None

    def claim(r: Replica) -> object:
        return claim_due(r.deps)

    return [open_code, approve, drill, cancel, claim]


def _run_script(replica: Replica, ops: list[Callable[[Replica], object]], rng: random.Random) -> list[str]:
    unexpected = []
    for op in ops:
        time.sleep(rng.random() * 0.004)
        try:
            op(replica)
        except RollbackBotError:  # refused (slot taken, already decided, stale …): what the rules are for
            pass
        except Exception as exc:
            unexpected.append(f"{op.__name__} on {replica.name}: {type(exc).__name__}: {exc}")
    return unexpected


def _collect(into: list[str], replica: Replica, ops: list[Callable[[Replica], object]], rng: random.Random) -> None:
    into.extend(_run_script(replica, ops, rng))


def _settle(a: Replica, b: Replica) -> None:
    """Let every execution finish, then close what still waits, so the next ordering starts free."""
    a.idle(), b.idle()
    for request in a.deps.requests.list_by_status([RequestStatus.pending, RequestStatus.approved]):
        with contextlib.suppress(RollbackBotError):
            rollbacks.cancel(a.deps, request_id=request.id, user_id=request.requester_id)
    claim_due(a.deps)
    a.idle(), b.idle()


@pytest.fixture
def replicas(db_url: str) -> Iterator[tuple[FastWorld, Replica, Replica]]:
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    world = fast_world()
    a, b = _replica(world, db_url, "replica-a"), _replica(world, db_url, "replica-b")
    try:
        yield world, a, b
    finally:
        for r in (a, b):
            r.pool.shutdown(wait=True)


def test_no_two_writes_to_one_target_at_once_in_200_random_orderings(
    replicas: tuple[FastWorld, Replica, Replica],
) -> None:
    world, a, b = replicas
    meter = _meter(world)
    rng = random.Random(20270112)
    unexpected: list[str] = []
    for _ in range(ORDERINGS):
        scripts = {r.name: [rng.choice(_ops(rng)) for _ in range(OPS_PER_REPLICA)] for r in (a, b)}
        threads = [
            threading.Thread(target=_collect, args=(unexpected, r, scripts[r.name], random.Random(rng.random())))
            for r in (a, b)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        _settle(a, b)
        assert meter.now == 0
    assert unexpected == []
    assert meter.most == 1, f"{meter.most} writes to {TARGET} were in flight at once"
    executed = [r for r in a.deps.requests.list_recent(limit=10_000) if r.status is RequestStatus.succeeded]
    drills = [r for r in executed if r.is_drill]
    assert meter.total > 100 and len(executed) > 20 and drills  # the orderings did run changes, drills among them
