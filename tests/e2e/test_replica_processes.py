"""Replicas as real processes: one approves and is killed (-9) or stopped (SIGTERM) mid-execution.

Replica A is `rollback-bot serve` in a child process; replica B is the test's in-process bot. Both share
PostgreSQL, the Slack fake and the Azure emulator. B's claim loop starts once A has claimed the execution,
so that A is the one that dies (B would otherwise be as likely to win the claim).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from bot.domain.kinds import CODE
from bot.domain.rollback_requests import RequestStatus, RollbackRequest
from bot.domain.tree import FlowState
from bot.services import rollbacks
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.harness.serve import ServeProcess
from tests.harness.world import ALICE, BOB, CHANNEL, SECRET, World

CODE_FLOW = FlowState(CHANNEL, "pharmabot", "prod", True, CODE)
APP = "containerApps/pharmabot-prod"


def _replica_a(world: World, db_url: str, tmp_path: Path, *args: str) -> ServeProcess:
    env = {
        "DATABASE_URL": db_url,
        "ROLLBACK_BOT_CONFIG": str(world.config_path),
        "SLACK_BOT_TOKEN": world.slack.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": world.slack.api_url,
        "WORLD_SEARCH_KEY": os.environ["WORLD_SEARCH_KEY"],
    }
    replica = ServeProcess.start(tmp_path, env, *args)
    replica.wait_ready(timeout=60)
    return replica


def _approve_on(world: World, replica: ServeProcess) -> RollbackRequest:
    deps = world.runtime.deps
    request = rollbacks.open_request(deps, state=CODE_FLOW, reason="v2 answers 500", requester_id=ALICE)
    click = world.factory.block_action_message(
        BOB, CHANNEL, request.message_ts or "", SlackId.approve.value, encode_request_ref(request.id)
    )
    assert click.post(replica.url).status_code == 200
    return request


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
    a = _replica_a(world, postgres_url, tmp_path)
    try:
        world.azure.faults.latency(4.0, method="GET", path_contains=APP)  # A's reads before its write are slow
        request = _approve_on(world, a)
        _claimed_by(world, request.id, a)
        assert _patches(world) == 0
        a.proc.kill()  # SIGKILL: no drain, no hand-over; its lease just stops being renewed
        a.wait(timeout=10)
        killed = time.monotonic()
        world.azure.faults.clear()
        world.runtime.start_background()  # replica B's claim loop
        deps = world.runtime.deps
        world.wait(lambda: not deps.requests.get(request.id).status.in_flight, what="B runs it", timeout=40)
        assert time.monotonic() - killed < 30
    finally:
        a.close()
    world.wait(lambda: "execution.executed" in _events(world, request.id), what="recorded")
    done = deps.requests.get(request.id)
    assert done.status is RequestStatus.succeeded and done.claims == 2, done.result
    assert _patches(world) == 1  # exactly one PATCH on the wire
    assert world.traffic() == {"pharmabot-prod--v1": 100, "pharmabot-prod--v2": 0}
    events = _events(world, request.id)
    # A may have died before it wrote "execution.started"; B's resumption and the outcome are there once each.
    assert events.count("execution.started") <= 1, events
    assert events.count("execution.resumed") == 1 and events.count("execution.executed") == 1, events


def test_sigterm_during_a_20_s_execution_exits_0_within_30_s_and_it_completes_exactly_once(
    world: World, postgres_url: str, tmp_path: Path
) -> None:
    a = _replica_a(world, postgres_url, tmp_path)
    try:
        world.azure.faults.latency(20.0, method="PATCH", path_contains=APP)  # a 20 s execution
        request = _approve_on(world, a)
        _claimed_by(world, request.id, a)
        world.runtime.start_background()  # B is up and claiming too
        world.wait(lambda: _patches(world) == 1, what="A's PATCH is on its way", timeout=30)
        a.signal(signal.SIGTERM)
        stopped = time.monotonic()
        assert a.wait(timeout=35) == 0
        assert time.monotonic() - stopped < 30
    finally:
        world.azure.faults.clear()
        a.close()
    deps = world.runtime.deps
    world.wait(lambda: "execution.executed" in _events(world, request.id), what="recorded", timeout=30)
    done = deps.requests.get(request.id)
    assert done.status is RequestStatus.succeeded and done.claims == 1, done.result  # A finished it while draining
    assert _patches(world) == 1 and _events(world, request.id).count("execution.executed") == 1
    assert "drained in" in a.output()


def test_sigterm_with_a_short_drain_hands_the_execution_over_and_it_completes_once(
    world: World, postgres_url: str, tmp_path: Path
) -> None:
    a = _replica_a(world, postgres_url, tmp_path, "--drain-timeout", "1")
    deps = world.runtime.deps
    try:
        world.azure.faults.latency(4.0, method="GET", path_contains=APP)  # reads slow, the write fast
        request = _approve_on(world, a)
        _claimed_by(world, request.id, a)
        world.runtime.start_background()
        world.wait(lambda: _patches(world) == 1, what="A wrote", timeout=30)  # A now verifies (slow reads)
        world.wait(lambda: "execution.step" in _events(world, request.id), what="A recorded its write", timeout=30)
        a.signal(signal.SIGTERM)
        stopped = time.monotonic()
        assert a.wait(timeout=35) == 0
        assert time.monotonic() - stopped < 30
        world.wait(lambda: "execution.resumed" in _events(world, request.id), what="B resumes", timeout=15)
        assert time.monotonic() - stopped < 15  # handed over: B did not wait for the 15 s lease to run out
        world.wait(lambda: "execution.executed" in _events(world, request.id), what="B finishes", timeout=40)
    finally:
        world.azure.faults.clear()
        a.close()
    done = deps.requests.get(request.id)
    assert done.status is RequestStatus.succeeded and done.claims == 2, done.result
    assert _patches(world) == 1  # B found the write made and verified it instead of redoing it
    assert [s["name"] for s in done.result["steps"]][:1] == ["already applied"]
    assert "handed over" in a.output()
