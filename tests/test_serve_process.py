"""`rollback-bot serve` under an orchestrator: binds first, starts sick, drains on SIGTERM/SIGINT, exits 0.

Each test runs the real command in a child process against the fakes; figures (how long until ready, how
long the drain took) come from the child's own answers and log.
"""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.domain.rollback_requests import RequestStatus
from sandbox.emulators.slack import SlackFake
from tests.harness.net import HungServer, free_port
from tests.harness.serve import ServeProcess, approve_on, serve_replica
from tests.harness.world import ALICE, CHANNEL, PROCESS_POLL_MS, SECRET, World


@pytest.fixture
def hung() -> Iterator[HungServer]:
    server = HungServer()
    yield server
    server.close()


def test_hung_database_at_start_keeps_live_answering_and_ready_503_with_the_reason(
    tmp_path: Path, hung: HungServer
) -> None:
    bot = ServeProcess.start(tmp_path, {"DATABASE_URL": f"postgresql://rollback@127.0.0.1:{hung.port}/bot"})
    try:
        started = time.monotonic()
        assert bot.get("/health/live", timeout=2).json() == {"status": "ok"}
        bot.wait_for("start-up: database: attempt 2 failed")  # the default connect timeout bounds each attempt
        assert time.monotonic() - started < 20
        answer_started = time.monotonic()
        ready = bot.get("/health/ready", timeout=5)
        assert time.monotonic() - answer_started < 1.0
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "starting"
        assert "database unreachable" in body["database"] and "timeout" in body["database"]
        assert bot.get("/health/live", timeout=2).status_code == 200
        assert bot.proc.poll() is None  # still up: no crash loop
        bot.signal(signal.SIGTERM)
        assert bot.wait(timeout=15) == 0
    finally:
        bot.close()
    output = bot.output()
    attempts = [line for line in output.splitlines() if "start-up: database: attempt" in line]
    assert len(attempts) >= 2 and all("next attempt in" in line for line in attempts), output
    assert "Traceback" not in output
    assert "SIGTERM: draining" in output and "drained in" in output


def test_slack_down_at_start_ready_degraded_then_slack_ok_within_10s_of_slack_coming_up(tmp_path: Path) -> None:
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": "xoxb-sandbox-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"http://127.0.0.1:{port}/api/",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
    }
    bot = ServeProcess.start(tmp_path, env)
    fake = SlackFake(port=port)
    try:
        bot.wait_for("start-up: Slack auth.test: attempt 2 failed")
        ready = bot.get("/health/ready")
        assert ready.status_code == 200  # only the database decides: Slack's state is in the body
        body = ready.json()
        assert body["status"] == "degraded" and body["database"] == "ok"
        assert "Slack unreachable" in body["slack"]
        assert bot.get("/health/live").status_code == 200
        fake.start()
        came_up = time.monotonic()
        while bot.get("/health/ready").json()["slack"] != "ok" and time.monotonic() - came_up < 10:
            time.sleep(0.1)
        assert bot.get("/health/ready").json()["slack"] == "ok"
        print(f"ready {time.monotonic() - came_up:.1f} s after the Slack fake came up")
        assert time.monotonic() - came_up <= 10
        bot.signal(signal.SIGINT)
        assert bot.wait(timeout=15) == 0
    finally:
        bot.close()
        fake.stop()
    output = bot.output()
    assert "Traceback" not in output
    assert "SIGINT: draining" in output and "drained in" in output


@pytest.fixture
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world on SQLite: these tests are about the process, not the database."""
    db = f"sqlite:///{tmp_path_factory.mktemp('db') / 'bot.db'}"
    w = World.start(db, tmp_path_factory.mktemp("world"), poll_after_ms=PROCESS_POLL_MS)
    try:
        yield w
    finally:
        w.close()


def _sigterm_during_execution(world: World, bot: ServeProcess, latency: float) -> tuple[int, float]:
    """Approve on the child with Azure slowed by ``latency`` s per PATCH; SIGTERM once it executes.

    Returns the request id and how long the child took to exit after the signal (it must exit 0).
    """
    try:
        world.azure.faults.latency(latency, method="PATCH", path_contains="containerApps/pharmabot-prod")
        request_id = approve_on(world, bot)
        stopped = time.monotonic()
        bot.signal(signal.SIGTERM)
        bot.wait_for("SIGTERM: draining")
        # Draining: no new Slack work, unready, still alive.
        assert world.factory.slash_command(ALICE, CHANNEL, "help").post(bot.url).status_code == 503
        assert bot.get("/health/ready").json() == {"status": "draining"}
        assert bot.get("/health/live").status_code == 200
        assert bot.wait(timeout=30) == 0
        return request_id, time.monotonic() - stopped
    finally:
        bot.close()


def test_sigterm_drains_an_execution_in_flight_and_exits_0(sqlite_world: World, tmp_path: Path) -> None:
    world = sqlite_world
    bot = serve_replica(world, tmp_path)
    request_id, exited = _sigterm_during_execution(world, bot, latency=3.0)
    output = bot.output()
    request = world.runtime.deps.requests.get(request_id)
    assert request.status is RequestStatus.succeeded, (request.result, output)
    assert world.traffic() == {"pharmabot-prod--v1": 100, "pharmabot-prod--v2": 0}
    assert "drained in" in output and "Traceback" not in output, output
    print(f"SIGTERM with an execution in flight: exit 0 after {exited:.1f} s")
    assert exited < 30


def test_drain_deadline_bounds_the_exit_even_with_work_still_running(sqlite_world: World, tmp_path: Path) -> None:
    world = sqlite_world
    bot = serve_replica(world, tmp_path, "--drain-timeout", "1")
    request_id, exited = _sigterm_during_execution(world, bot, latency=8.0)
    output = bot.output()
    assert exited < 6
    assert "drain deadline reached" in output and "1 execution(s) still running" in output, output
    # Left for reconciliation (or, later, another replica's lease): not silently marked done.
    assert world.runtime.deps.requests.get(request_id).status is RequestStatus.executing


def test_a_second_signal_exits_at_once(sqlite_world: World, tmp_path: Path) -> None:
    """Ctrl-C twice: the operator does not want to wait for the drain."""
    world = sqlite_world
    bot = serve_replica(world, tmp_path)
    try:
        world.azure.faults.latency(8.0, method="PATCH", path_contains="containerApps/pharmabot-prod")
        approve_on(world, bot)
        bot.signal(signal.SIGINT)
        bot.wait_for("SIGINT: draining")
        stopped = time.monotonic()
        bot.signal(signal.SIGINT)
        assert bot.wait(timeout=10) == 128 + signal.SIGINT
        assert time.monotonic() - stopped < 3
    finally:
        bot.close()
    assert "SIGINT again: exiting without waiting for the drain" in bot.output()


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        bot = ServeProcess.start(tmp_path, {}, "--port", str(port), wait_listening=False)
        try:
            assert bot.wait(timeout=30) == 2
        finally:
            bot.close()
    output = bot.output()
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in output, output
    assert "Traceback" not in output
