"""The lifecycle parts on their own: start-up retries, readiness, drainable pools (fast, no processes)."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from typing import Any

import pytest

from bot.errors import ConfigError, StoreError
from bot.lifecycle import Backoff, Lane, PoolGroup, Readiness, WorkPool, keep_trying

FAST = Backoff(first=0.01, cap=0.02)


def test_backoff_doubles_up_to_its_cap_with_a_little_jitter() -> None:
    delays = list(itertools.islice(Backoff(first=0.5, cap=5.0).delays(), 7))
    floors = [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    assert all(floor <= d <= floor * 1.1 for d, floor in zip(delays, floors, strict=True)), delays


def test_a_step_is_retried_until_it_succeeds_one_log_line_per_failure(caplog: pytest.LogCaptureFixture) -> None:
    outcomes = iter([StoreError("database unreachable: timeout"), OSError("refused"), None])
    reasons: list[str] = []

    def step() -> None:
        failure = next(outcomes)
        if failure is not None:
            raise failure

    with caplog.at_level(logging.INFO, logger="rollback_bot.lifecycle"):
        assert keep_trying(step, what="db", stop=threading.Event(), backoff=FAST, on_failure=reasons.append)
    failures = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(failures) == 2
    assert failures[0].startswith("db: attempt 1 failed: database unreachable: timeout; next attempt in")
    assert failures[1].startswith("db: attempt 2 failed: OSError: refused;")
    assert reasons == ["database unreachable: timeout (attempt 1; retrying)", "OSError: refused (attempt 2; retrying)"]
    assert all(r.exc_info is None for r in caplog.records if r.levelno >= logging.INFO)  # never a traceback


def test_a_configuration_error_is_not_retried() -> None:
    calls = []

    def step() -> None:
        calls.append(1)
        raise ConfigError("Slack refused SLACK_BOT_TOKEN (invalid_auth)")

    with pytest.raises(ConfigError):
        keep_trying(step, what="slack", stop=threading.Event(), backoff=FAST)
    assert calls == [1]


def test_stopping_ends_the_retries() -> None:
    stop = threading.Event()

    def step() -> None:
        stop.set()
        raise OSError("down")

    assert keep_trying(step, what="x", stop=stop, backoff=Backoff(first=60, cap=60)) is False


def _readiness(**checks: tuple[object, bool]) -> Readiness:
    readiness = Readiness()
    for name, (behaviour, required) in checks.items():

        def check(behaviour: object = behaviour) -> None:
            if isinstance(behaviour, Exception):
                raise behaviour
            if behaviour == "hang":
                time.sleep(5)

        readiness.add(name, check, required=required, timeout=0.3)
    return readiness


def test_ready_only_when_every_required_dependency_answers() -> None:
    readiness = _readiness(database=(None, True), slack=(StoreError("Slack unreachable"), True))
    assert readiness.report() == (False, {"status": "unavailable", "database": "ok", "slack": "Slack unreachable"})
    readiness = _readiness(database=(None, True), socket_mode=(StoreError("not connected"), False))
    assert readiness.report() == (True, {"status": "degraded", "database": "ok", "socket_mode": "not connected"})


def test_a_detail_section_is_reported_and_never_decides_readiness() -> None:
    readiness = _readiness(database=(None, True))
    readiness.detail("environments", lambda: {"api/prod": "ok", "api/staging": "degraded: prompt: unusable"})
    ready, body = readiness.report()
    assert ready and body["status"] == "degraded"
    assert body["environments"] == {"api/prod": "ok", "api/staging": "degraded: prompt: unusable"}
    readiness.detail("environments", lambda: {"api/prod": "ok"})
    assert readiness.report() == (True, {"status": "ready", "database": "ok", "environments": {"api/prod": "ok"}})


def test_starting_components_show_why_instead_of_a_live_check() -> None:
    readiness = _readiness(database=(None, True))
    readiness.starting("database", "database unreachable: timeout (attempt 3; retrying)")
    assert readiness.report() == (
        False,
        {"status": "starting", "database": "database unreachable: timeout (attempt 3; retrying)"},
    )
    readiness.started("database")
    assert readiness.report()[0] is True


def test_a_hung_check_is_answered_within_its_timeout() -> None:
    readiness = _readiness(database=("hang", True))
    started = time.monotonic()
    ready, body = readiness.report()
    assert not ready and body["database"] == "no answer within 0.3 s"
    assert time.monotonic() - started < 1.0
    readiness.close()


def test_draining_is_unready_whatever_the_checks_say() -> None:
    readiness = _readiness(database=(None, True))
    readiness.drain()
    assert readiness.report() == (False, {"status": "draining"})
    assert readiness.draining


def test_a_pool_drain_waits_for_work_in_flight_and_for_work_it_starts() -> None:
    pool = WorkPool(max_workers=2, thread_name_prefix="t")
    done: list[str] = []

    def execution() -> None:
        time.sleep(0.2)
        done.append("execution")

    def listener() -> None:
        time.sleep(0.1)
        pool.submit(execution)  # an approval starts an execution after the drain began
        done.append("listener")

    pool.submit(listener)
    assert pool.wait_idle(time.monotonic() + 5) == 0
    assert done == ["listener", "execution"]
    pool.shutdown()


def test_a_pool_drain_stops_waiting_at_its_deadline_and_says_what_is_left() -> None:
    pool = WorkPool(max_workers=1, thread_name_prefix="t")
    release = threading.Event()
    pool.submit(release.wait)
    started = time.monotonic()
    assert pool.wait_idle(time.monotonic() + 0.2) == 1
    assert time.monotonic() - started < 1.0
    release.set()
    pool.shutdown()


def test_a_full_lane_refuses_work_instead_of_queueing_it_without_end() -> None:
    lane = Lane("t", max_workers=1, max_queued=1)
    release = threading.Event()
    ran: list[int] = []
    try:
        assert not lane.busy
        assert lane.offer(lambda: release.wait(5))
        assert lane.busy
        assert lane.offer(lambda: ran.append(2))
        assert not lane.offer(lambda: ran.append(3))  # refused: the caller tells the person
        release.set()
        assert lane.wait_idle(time.monotonic() + 5) == 0
        assert ran == [2]
    finally:
        release.set()
        lane.shutdown()


def test_a_pool_group_drains_work_that_moves_from_one_pool_to_the_next() -> None:
    first, second = WorkPool(1, "first"), WorkPool(1, "second")
    done: list[str] = []

    def hand_over() -> None:
        time.sleep(0.05)
        second.submit(lambda: (time.sleep(0.05), done.append("second")))

    first.submit(hand_over)
    assert PoolGroup((first, second)).wait_idle(time.monotonic() + 5) == 0
    assert done == ["second"]
    PoolGroup((first, second)).shutdown()


def test_stopping_the_server_from_another_thread_never_crashes_its_loop() -> None:
    """Closing waitress's socket from outside its loop thread crashed the loop with EBADF now and then.

    The loop here spins (a 0.1 ms poll timeout) so the race window comes round often: closing the server
    the old way crashed a few loops in every hundred.
    """
    from waitress.server import create_server

    from bot.server import stop_server

    def app(environ: object, start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b""]

    crashes: list[BaseException | None] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: crashes.append(args.exc_value)
    try:
        for _ in range(300):
            server = create_server(app, host="127.0.0.1", port=0, asyncore_loop_timeout=0.0001)
            threading.Thread(target=server.run, daemon=True).start()
            time.sleep(0.002)
            stop_server(server)
        time.sleep(0.5)
    finally:
        threading.excepthook = previous
    assert crashes == []
