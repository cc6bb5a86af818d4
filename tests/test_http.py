"""The served app over real HTTP: signatures, /rollback help and refusals, health, metrics, limits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from bot.bootstrap import Runtime, build_runtime
from bot.config import load_settings
from bot.kinds.builtin import BUILTIN
from bot.server import start_in_thread, stop_server
from sandbox.emulators.slack import SlackFake, SlackUser
from sandbox.emulators.slack.requests import SlackRequestFactory
from tests.harness.serve import ServeProcess

SECRET = "http-test-secret"
CONFIG = {
    "services": [
        {"name": "pharmabot", "environments": [{"name": "prod", "incident_channels": ["C0INCIDENT", "#inc-pharma*"]}]},
        {"name": "search-api", "environments": [{"name": "staging", "incident_channels": ["C0OTHER"]}]},
    ]
}


@dataclass
class Served:
    slack: SlackFake
    runtime: Runtime
    url: str
    factory: SlackRequestFactory


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    slack = SlackFake().start()
    slack.add_user(SlackUser(id="U0ALICE", name="alice"))
    slack.add_channel("C0INCIDENT", name="inc-pharmabot")
    slack.add_channel("C0GENERAL", name="general")
    slack.add_channel("C0INC2", name="inc-pharma-2")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}",
            "ROLLBACK_BOT_CONFIG": str(cfg),
        }
    )
    runtime = build_runtime(settings, BUILTIN.load_config(cfg))
    server, url = start_in_thread(runtime)
    slack.reset_calls()
    yield Served(slack, runtime, url, SlackRequestFactory(SECRET, fake=slack))
    stop_server(server)
    runtime.close()
    slack.stop()


def _response_url_posts(slack: SlackFake) -> list[dict[str, Any]]:
    return [c.body for c in slack.calls if c.method == "response_url"]


def test_signed_help_is_acked_fast_and_usage_reaches_slack(served: Served) -> None:
    started = time.monotonic()
    response = served.factory.slash_command("U0ALICE", "C0GENERAL", "help").post(served.url)
    assert response.status_code == 200
    assert time.monotonic() - started < 3.0
    call = served.slack.wait_for("response_url")
    text = json.dumps(call.body["blocks"])
    assert "Rollback Bot: usage" in text and "/rollback status SERVICE [ENV]" in text
    assert "*pharmabot*: `prod`" in text and "*search-api*: `staging`" in text
    assert call.body["response_type"] == "ephemeral"


@pytest.mark.parametrize("tamper", ["signature", "stale", "missing"])
def test_bad_signatures_get_401_and_nothing_is_done(served: Served, tamper: str) -> None:
    good = served.factory.slash_command("U0ALICE", "C0INCIDENT", "help")
    if tamper == "signature":
        req = served.factory.sign(good.body, good.headers["content-type"], signature="v0=" + "0" * 64)
    elif tamper == "stale":
        req = served.factory.sign(good.body, good.headers["content-type"], timestamp=int(time.time()) - 301)
    else:
        req = good
        req.headers.pop("x-slack-signature")
    response = req.post(served.url)
    assert response.status_code == 401
    time.sleep(0.3)
    assert served.slack.calls == []


def test_outside_an_incident_channel_is_refused_naming_where(served: Served) -> None:
    served.factory.slash_command("U0ALICE", "C0GENERAL", "").post(served.url)
    call = served.slack.wait_for("response_url")
    assert "can only be used in an incident channel" in call.body["text"]
    assert "<#C0INCIDENT>" in call.body["text"] and "#inc-pharma*" in call.body["text"]
    assert "views.open" not in [c.method for c in served.slack.calls]
    events = served.runtime.deps.audit.list()
    assert [e.event for e in events] == ["refused.not_incident_channel"]
    assert events[0].actor == "U0ALICE"


def test_channel_name_patterns_use_conversations_info(served: Served) -> None:
    served.factory.slash_command("U0ALICE", "C0INC2", "history pharmabot").post(served.url)
    call = served.slack.wait_for("response_url")
    assert "No rollback requests yet" in json.dumps(call.body["blocks"])
    assert "conversations.info" in [c.method for c in served.slack.calls]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("frobnicate now please", "Too many words"),
        ("status", "needs a service"),
        ("status nosuch", "Unknown service “nosuch”"),
        ("frobnicate", "Unknown service “frobnicate”"),
        ("cancel 999", "There is no rollback request #999"),
    ],
)
def test_bad_input_gets_a_clear_message(served: Served, text: str, expected: str) -> None:
    started = time.monotonic()
    response = served.factory.slash_command("U0ALICE", "C0INCIDENT", text).post(served.url)
    # Acked even when the listener raises right after ack(): slack_bolt would otherwise answer 404 after its
    # 3 s wait (see handlers/errors.py). The bound is that wait's, not a speed claim (a loaded CI worker is slow).
    assert response.status_code == 200 and time.monotonic() - started < 2.5
    call = served.slack.wait_for("response_url")
    assert expected in json.dumps(call.body, ensure_ascii=False)
    assert "Traceback" not in json.dumps(call.body)
    if "request #999" not in expected:
        assert "Rollback Bot: usage" in json.dumps(call.body)  # anything it cannot use gets the usage


def test_slack_retries_are_acked_without_running_listeners(served: Served) -> None:
    req = served.factory.slash_command("U0ALICE", "C0INCIDENT", "help")
    req.headers["x-slack-retry-num"] = "1"
    req.headers["x-slack-retry-reason"] = "http_timeout"
    response = req.post(served.url)
    assert response.status_code == 200
    time.sleep(0.3)
    # Bolt checks the token with auth.test on the first request it authorizes; nothing else reaches Slack.
    assert [c.method for c in served.slack.calls] in ([], ["auth.test"])


def test_app_home_is_published_at_once_then_with_live_state(served: Served) -> None:
    assert served.factory.app_home_opened("U0ALICE").post(served.url).status_code == 200
    first = served.slack.wait_for("views.publish")
    assert "Reading live state" in json.dumps(first.body)  # nothing read yet: a board saying so, at once
    served.slack.wait_for("views.publish", lambda c: "Last checklist" in json.dumps(c.body))
    home = json.dumps(served.slack.home("U0ALICE"))
    assert "pharmabot/prod" in home and "s ago" in home


def test_health_metrics_and_limits(served: Served) -> None:
    assert requests.get(served.url + "/health/live", timeout=5).json() == {"status": "ok"}
    ready = requests.get(served.url + "/health/ready", timeout=5)
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
    served.factory.slash_command("U0ALICE", "C0INCIDENT", "help").post(served.url)
    served.slack.wait_for("response_url")
    metrics = requests.get(served.url + "/metrics", timeout=5).text
    assert 'rollback_bot_slash_commands_total{subcommand="help"} 1.0' in metrics
    big = requests.post(served.url + "/slack/events", data=b"x" * (1024 * 1024 + 1), timeout=5)
    assert big.status_code == 413
    assert requests.get(served.url + "/slack/events", timeout=5).status_code == 405
    assert requests.get(served.url + "/nope", timeout=5).status_code == 404


def test_ready_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = load_settings({"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1"})
    runtime = build_runtime(settings, load_config_text(tmp_path, {}), migrate_db=False, check_db=False)
    server, url = start_in_thread(runtime)
    try:
        ready = requests.get(url + "/health/ready", timeout=10)
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
        assert requests.get(url + "/health/live", timeout=5).status_code == 200
        events = requests.post(url + "/slack/events", data="x", timeout=5)
        assert events.status_code == 503 and "SLACK_SIGNING_SECRET" in events.json()["hint"]
    finally:
        stop_server(server)
        runtime.close()


def load_config_text(tmp_path: Path, data: dict[str, Any]):  # type: ignore[no-untyped-def]
    path = tmp_path / "empty.yaml"
    path.write_text(yaml.safe_dump(data))
    return BUILTIN.load_config(path)


def test_run_command_serves_without_slack_credentials(tmp_path: Path) -> None:
    """What the README's run command does on a fresh machine: SQLite, no Slack, /health/ready answers 200."""
    bot = ServeProcess.start(tmp_path, {})
    try:
        assert bot.wait_ready().json() == {"status": "ready", "database": "ok", "environments": {}}
        note = bot.wait_for("note: ")
        assert "SLACK_BOT_TOKEN" in note and "SLACK_SIGNING_SECRET" in note
        assert (tmp_path / "rollback-bot.db").exists()
    finally:
        bot.close()


def test_serve_refuses_a_bad_config_naming_the_key_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("services:\n  - {name: api, environments: [{name: prod, container_app: {name: x}}]}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env["ROLLBACK_BOT_CONFIG"] = str(bad)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--port", "0"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert f"{bad}: services[0].environments[0].container_app.subscription_id: Field required" in result.stderr


def test_slack_url_verification_challenge_is_answered(served: Served) -> None:
    """What Slack sends when the Request URL is first saved in the app settings."""
    response = served.factory.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P").post(served.url)
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "block_actions", "actions": [{"action_id": "rollback-approve", "value": '{"request_id": 1}'}]},
        {
            "type": "view_submission",
            "user": {"id": "U0ALICE"},
            "view": {"type": "modal", "callback_id": "rollback-flow-target"},
        },
        {
            "type": "view_submission",
            "user": {"id": "U0ALICE"},
            "view": {"type": "modal", "callback_id": "rollback-flow-plan", "id": 7, "state": {"values": []}},
        },
        {  # found by the fuzz suite: Bolt took len(None) while building the context, and answered 500
            "type": "view_submission",
            "user": {"id": "U0ALICE"},
            "view": {"id": "V1", "type": "modal", "callback_id": "rollback-flow-target", "private_metadata": "{}"},
            "response_urls": None,
        },
        {  # found by the fuzz suite: Bolt 1.30 logged before its context had a logger (KeyError), and answered 500
            "type": "view_submission",
            "user": {"id": "U0ALICE"},
            "view": {"id": "V1", "type": "modal", "callback_id": "rollback-flow-target", "private_metadata": "{}"},
            "response_urls": [{}, {}],
        },
    ],
    ids=[
        "click-without-user",
        "submission-without-state",
        "submission-with-wrong-types",
        "null-response-urls",
        "two-response-urls",
    ],
)
def test_a_payload_the_bot_cannot_read_is_refused_at_once_and_changes_nothing(
    served: Served, payload: dict[str, Any]
) -> None:
    from urllib.parse import quote

    started = time.monotonic()
    response = served.factory.sign("payload=" + quote(json.dumps(payload)), "application/x-www-form-urlencoded").post(
        served.url
    )
    # Slack never sends these (no user, no view id, state of the wrong type): refused at once with the reason,
    # before Bolt parses them (not Bolt's 404 after 3 s, nor a 500 from its middleware).
    assert response.status_code == 400 and time.monotonic() - started < 2.0
    assert response.json()["error"] == "malformed Slack request"
    time.sleep(0.3)
    assert served.runtime.deps.requests.list_recent() == []


def test_slack_refusing_a_listeners_own_call_is_one_warning_counted_never_an_error(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    """App Home's publish refused by Slack: not a bug of the bot, so no ERROR with a traceback; one warning that
    names the call and Slack's error, and the Slack error counted (what an operator alerts on)."""
    served.slack.fail_next("views.publish", "invalid_arguments", n=5)
    with caplog.at_level("WARNING"):
        assert served.factory.app_home_opened("U0ALICE").post(served.url).status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any("views.publish" in r.getMessage() for r in caplog.records):
            time.sleep(0.05)
    refused = [r for r in caplog.records if "Slack refused views.publish: invalid_arguments" in r.getMessage()]
    assert refused and all(r.levelname == "WARNING" for r in refused)
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    metrics = requests.get(served.url + "/metrics", timeout=5).text
    assert 'method="views.publish"' in metrics
