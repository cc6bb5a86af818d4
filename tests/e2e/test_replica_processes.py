"""Replicas as real processes: one approves and is killed (-9) or stopped (SIGTERM) mid-execution.

Replica A is `rollback-bot serve` in a child process; replica B is the test's in-process bot. Both share
PostgreSQL, the Slack fake and the Azure emulator. B's claim loop starts once A has claimed the execution,
so that A is the one that dies (B would otherwise be as likely to win the claim).
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from bot.domain.rollback_requests import RequestStatus
from tests.harness.serve import ServeProcess, approve_on, serve_replica
from tests.harness.world import World

APP = "containerApps/pharmabot-prod"


def _claimed_by(world: World, request_id: int, replica: ServeProcess, timeout: float = 60) -> None:
    def held() -> bool:
        owner = world.runtime.deps.requests.get(request_id).lease_owner or ""
        return owner.split(":")[1:2] == [str(replica.proc.pid)]

    world.wait(held, what="replica A claims the execution", timeout=timeout)


def _patches(world: World) -> int:
    return len(world.azure.requests.matching(method="PATCH", path_contains=APP))


def _events(world: World, request_id: int) -> list[str]:
    return [e.event for e in world.runtime.deps.audit.list(request_id=request_id, limit=1000)]


def test_kill_9_of_the_approving_replica_before_its_first_write_a_second_one_runs_it_once(
    world: World, postgres_url: str, tmp_path: Path
) -> None:
    a = serve_replica(world, tmp_path)
    try:
        world.azure.faults.latency(3.0, method="GET", path_contains=APP)  # A's reads before its write are slow
        request_id = approve_on(world, a)
        _claimed_by(world, request_id, a)
        assert _patches(world) == 0
        a.proc.kill()  # SIGKILL: no drain, no hand-over; its lease just stops being renewed
        a.wait(timeout=10)
        killed = time.monotonic()
        world.azure.faults.clear()
        world.runtime.start_background()  # replica B's claim loop
        deps = world.runtime.deps
        world.wait(lambda: not deps.requests.get(request_id).status.in_flight, what="B runs it", timeout=40)
        print(f"kill -9: replica B finished the execution {time.monotonic() - killed:.1f} s after the kill")
        assert time.monotonic() - killed < 30
    finally:
        a.close()
    world.wait(lambda: "execution.executed" in _events(world, request_id), what="recorded")
    done = deps.requests.get(request_id)
    assert done.status is RequestStatus.succeeded and done.claims == 2, done.result
    assert _patches(world) == 1  # exactly one PATCH on the wire
    assert world.traffic() == {"pharmabot-prod--v1": 100, "pharmabot-prod--v2": 0}
    events = _events(world, request_id)
    # A may have died before it wrote "execution.started"; B's resumption and the outcome are there once each.
    assert events.count("execution.started") <= 1, events
    assert events.count("execution.resumed") == 1 and events.count("execution.executed") == 1, events


def test_sigterm_during_a_20_s_execution_exits_0_within_30_s_and_it_completes_exactly_once(
    world: World, postgres_url: str, tmp_path: Path
) -> None:
    a = serve_replica(world, tmp_path)
    try:
        world.azure.faults.latency(20.0, method="PATCH", path_contains=APP)  # a 20 s execution
        request_id = approve_on(world, a)
        _claimed_by(world, request_id, a)
        world.runtime.start_background()  # B is up and claiming too
        world.wait(lambda: _patches(world) == 1, what="A's PATCH is on its way", timeout=30)
        a.signal(signal.SIGTERM)
        stopped = time.monotonic()
        assert a.wait(timeout=35) == 0
        print(f"SIGTERM during a 20 s execution: exit 0 after {time.monotonic() - stopped:.1f} s")
        assert time.monotonic() - stopped < 30
    finally:
        world.azure.faults.clear()
        a.close()
    deps = world.runtime.deps
    world.wait(lambda: "execution.executed" in _events(world, request_id), what="recorded", timeout=30)
    done = deps.requests.get(request_id)
    assert done.status is RequestStatus.succeeded, done.result
    # A finishes it while draining (25 s for the ~19 s left); on a machine slow enough to miss that, it hands
    # the execution over and B verifies what A wrote. Either way: one PATCH, one outcome.
    assert (done.claims == 1 and "drained in" in a.output()) or (done.claims == 2 and "handed over" in a.output())
    assert _patches(world) == 1 and _events(world, request_id).count("execution.executed") == 1


def test_sigterm_with_a_short_drain_hands_the_execution_over_and_it_completes_once(
    world: World, postgres_url: str, tmp_path: Path
) -> None:
    a = serve_replica(world, tmp_path, "--drain-timeout", "1")
    deps = world.runtime.deps
    try:
        world.azure.faults.latency(3.0, method="GET", path_contains=APP)  # reads slow, the write fast
        request_id = approve_on(world, a)
        _claimed_by(world, request_id, a)
        world.runtime.start_background()
        world.wait(lambda: _patches(world) == 1, what="A wrote", timeout=30)  # A now verifies (slow reads)
        world.wait(lambda: "execution.step" in _events(world, request_id), what="A recorded its write", timeout=30)
        a.signal(signal.SIGTERM)
        stopped = time.monotonic()
        assert a.wait(timeout=35) == 0
        assert time.monotonic() - stopped < 30
        world.wait(lambda: "execution.resumed" in _events(world, request_id), what="B resumes", timeout=15)
        print(f"short drain: replica B resumed {time.monotonic() - stopped:.1f} s after the SIGTERM")
        assert time.monotonic() - stopped < 15  # handed over: B did not wait for the 15 s lease to run out
        world.wait(lambda: "execution.executed" in _events(world, request_id), what="B finishes", timeout=40)
    finally:
        world.azure.faults.clear()
        a.close()
    done = deps.requests.get(request_id)
    assert done.status is RequestStatus.succeeded and done.claims == 2, done.result
    assert _patches(world) == 1  # B found the write made and verified it instead of redoing it
    assert [s["name"] for s in done.result["steps"]][:1] == ["already applied"]
    assert "handed over" in a.output()
