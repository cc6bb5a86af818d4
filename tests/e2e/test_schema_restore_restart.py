"""Killing the bot (kill -9) in the middle of a two-minute restore and starting it again: the restarted bot
re-attaches to the server being created, finishes the request and reports it once. The emulator's clock for
restores is moved forward (``skip``), so the two minutes take a few seconds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.rollback_requests import RequestStatus
from tests.e2e.schema_support import approve, open_schema, schema_world, wait_thread, writes_to_the_original_server
from tests.harness.serve import ServeProcess
from tests.harness.world import CHANNEL, SECRET, World

LEASE = "3"


@pytest.fixture
def world(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from schema_world(db_url, tmp_path_factory)


def _bot(world: World, cwd: Path) -> ServeProcess:
    env = {
        "SLACK_BOT_TOKEN": world.slack.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": world.slack.api_url,
        "DATABASE_URL": world.settings.database_url,
        "ROLLBACK_BOT_CONFIG": str(world.config_path),
        "WORLD_SEARCH_KEY": world.azure.token,
        "ROLLBACK_BOT_LEASE_SECONDS": LEASE,
    }
    bot = ServeProcess.start(cwd, env)
    bot.wait_ready()
    return bot


def _events(world: World, request_id: int) -> list[str]:
    return [e.event for e in world.runtime.deps.audit.list(request_id=request_id, limit=1000)]


def test_killing_the_bot_during_a_two_minute_restore_and_starting_it_again_finishes_and_reports_it_once(
    world: World, postgres_url: str, tmp_path: Path
) -> None:
    world.azure.set_restore_seconds(120)
    point = datetime.now(UTC) - timedelta(hours=1)
    name = f"pharmabot-db-restored-{point:%Y%m%d%H%M}"
    deps = world.runtime.deps
    first = _bot(world, tmp_path)
    try:
        request = open_schema(world, "restore:" + point.strftime("%Y-%m-%dT%H:%M:%SZ"))
        approve(world, request, url=first.url)
        world.wait(lambda: bool(world.azure.requests.matching("PUT", path_contains=name)), what="the restore starts")
        world.wait(lambda: "execution.progress" in _events(world, request.id), what="a progress report", timeout=15)
        first.proc.kill()  # kill -9 mid-restore: no drain, no hand-over
        first.wait(timeout=10)
    finally:
        first.close()
    world.azure.skip(60)  # one minute into the two: still Provisioning
    assert deps.requests.get(request.id).status is RequestStatus.executing
    second = _bot(world, tmp_path)  # the bot, started again
    try:
        world.wait(lambda: "execution.resumed" in _events(world, request.id), what="the restart resumes", timeout=30)
        wait_thread(world, request, f"Re-attached to the restore into {name} (Provisioning)")
        world.azure.skip(61)  # the restore's two minutes are up
        ends = (RequestStatus.succeeded, RequestStatus.failed)
        world.wait(lambda: deps.requests.get(request.id).status in ends, what="the request finishes", timeout=30)
        done = deps.requests.get(request.id)
        assert done.status is RequestStatus.succeeded and done.claims == 2, done.result
        wait_thread(world, done, "Rollback verified", f"{name} is Ready")
        time.sleep(1.0)  # anything reported twice would be posted by now
    finally:
        second.close()
    assert len(world.azure.requests.matching("PUT", path_contains="/flexibleServers/")) == 1  # one restore
    assert writes_to_the_original_server(world) == []
    events = _events(world, request.id)
    assert events.count("execution.resumed") == 1 and events.count("execution.executed") == 1, events
    thread = world.slack.thread(CHANNEL, done.message_ts or "")
    outcomes = [m for m in thread if "Rollback verified" in str(m.get("text", ""))]
    assert len(outcomes) == 1
