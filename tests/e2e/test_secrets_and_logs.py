"""Secrets stay secret and the log is readable: a health URL carrying a key, through a whole rollback.

``health_url: "…{path}?code=${HEALTH_KEY}"`` (the emulator's health endpoints refuse calls without the
key, so a passing health check proves the key was sent). After a code rollback, a checklist, App Home and
status, the key is nowhere: not in the stored plan or any other row of the bot's database, the audit log,
any call the Slack fake recorded, the metrics or the log (captured at DEBUG, where the HTTP libraries log
every URL).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect

from bot.cli.logs import CHATTY, setup_logging
from bot.domain.rollback_requests import RequestStatus
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.e2e.flow import posted_request, submit_plan, walk_to_plan
from tests.harness.world import ALICE, BOB, CHANNEL, World

KEY = "hk-7f3a9c1e-health-key"


@contextmanager
def captured_log(**env: str) -> Iterator[io.StringIO]:
    """The bot's own logging set-up (``rollback-bot serve``'s), writing into a buffer for the test."""
    root = logging.getLogger()
    before = (root.level, {name: logging.getLogger(name).level for name in CHATTY})
    buffer = io.StringIO()
    handler = setup_logging(buffer, env)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(before[0])
        for name, level in before[1].items():
            logging.getLogger(name).setLevel(level)


def _with_keyed_health_url(config: dict[str, Any]) -> dict[str, Any]:
    for env in config["services"][0]["environments"]:
        env["container_app"]["health_url"] += "?code=${HEALTH_KEY}"
    return config


@pytest.fixture
def keyed_world(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("HEALTH_KEY", KEY)
    world = World.start(db_url, tmp_path, config=_with_keyed_health_url)
    world.azure.require_health_code(KEY)
    try:
        yield world
    finally:
        world.close()


def _approved_code_rollback(world: World) -> int:
    submit_plan(world, walk_to_plan(world, "code"), "v2 returns 500s")
    request = posted_request(world)
    world.click(BOB, request.message_ts or "", SlackId.approve.value, encode_request_ref(request.id))
    world.wait(
        lambda: world.runtime.deps.requests.get(request.id).status is RequestStatus.succeeded,
        what="succeeded",
        timeout=20,
    )
    world.wait(lambda: len(world.slack.thread(CHANNEL, request.message_ts or "")) > 1, what="thread reply")
    return request.id


def _database_text(world: World) -> str:
    names = inspect(world.runtime.engine).get_table_names()
    with world.runtime.engine.connect() as conn:
        rows = {name: [list(r) for r in conn.exec_driver_sql(f'SELECT * FROM "{name}"')] for name in names}
    return json.dumps(rows, default=str)


def test_a_key_in_the_health_url_appears_nowhere(keyed_world: World) -> None:
    world = keyed_world
    with captured_log(LOG_LEVEL="DEBUG") as log:
        request_id = _approved_code_rollback(world)
        world.slash(ALICE, "checklist pharmabot prod")
        checklist = world.slack.wait_for("response_url", lambda c: "Previous revision is alive" in json.dumps(c.body))
        world.factory.app_home_opened(ALICE).post(world.url)
        world.wait(lambda: world.slack.home(ALICE) is not None, what="App Home")
        world.slash(ALICE, "status pharmabot prod")
        world.slack.wait_for("response_url", lambda c: "Status of" in json.dumps(c.body))
    result = world.runtime.deps.requests.get(request_id).result
    health = next(s for s in result["steps"] if s["name"] == "health check")
    assert health["ok"] and "code=***" in health["detail"]  # the key was sent (else 401) and is shown redacted
    evidence = json.dumps(checklist.body)
    assert "code=***" in evidence and "${HEALTH_KEY}" in evidence  # evidence redacted; the command names the VAR
    stored = _database_text(world)
    assert "rollback_requests" in stored and "audit_events" in stored and "checklist_runs" in stored
    assert KEY not in stored
    assert KEY not in json.dumps([[c.method, c.body, c.headers] for c in world.slack.calls])
    assert KEY not in world.runtime.metrics.render().decode()
    text = log.getvalue()
    assert "GET /_apps/" in text and "code=***" in text  # urllib3 logs each URL at DEBUG: redacted
    assert KEY not in text


def test_one_approved_rollback_at_info_is_a_few_json_lines_each_an_event(keyed_world: World) -> None:
    world = keyed_world
    with captured_log(LOG_LEVEL="INFO", LOG_FORMAT="json") as log:
        request_id = _approved_code_rollback(world)
    lines = log.getvalue().splitlines()
    records = [json.loads(line) for line in lines]  # every line parses
    assert 4 <= len(records) <= 25, lines
    assert KEY not in log.getvalue()
    mine = [r for r in records if r.get("request_id") == request_id]
    events = [r["event"] for r in mine]
    assert events[:2] == ["request.opened", "request.approved"] and events[-1] == "execution.executed"
    assert events.count("execution.step") >= 2
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    assert not [r for r in records if r["logger"].startswith(("azure", "urllib3", "apscheduler"))]
    refusal = None
    with captured_log(LOG_LEVEL="INFO", LOG_FORMAT="json") as log:
        world.slash(ALICE, "")  # fine
        world.slash(ALICE, "", channel="C0DEPLOYS")  # not an incident channel: refused, and why
        world.wait(lambda: "refused." in log.getvalue(), what="the refusal's line")
        refusal = next(json.loads(line) for line in log.getvalue().splitlines() if "refused." in line)
    assert refusal["event"] == "refused.not_incident_channel" and "incident channel" in refusal["message"]
