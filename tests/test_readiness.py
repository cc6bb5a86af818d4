"""/health/ready: only the database decides it; Slack, the Socket Mode connection and each environment's
degradation are reported in its body (status ``degraded``, still 200), with the reason."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from bot.bootstrap import build_runtime
from bot.config import load_settings
from bot.kinds.builtin import BUILTIN
from bot.server import start_in_thread, stop_server
from bot.server.process import Startup
from sandbox.emulators.slack import SlackFake
from tests.harness.net import HungServer, free_port


def _serve(tmp_path: Path, env: dict[str, str], config: dict[str, Any]) -> Iterator[str]:
    path = tmp_path / "rollback-bot.yaml"
    path.write_text(yaml.safe_dump(config))
    settings = load_settings(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "ROLLBACK_BOT_CONFIG": str(path), **env}
    )
    runtime = build_runtime(settings, BUILTIN.load_config(path))
    server, url = start_in_thread(runtime)
    try:
        yield url
    finally:
        stop_server(server)
        runtime.close()


def _ready(url: str) -> tuple[int, dict[str, str]]:
    answer = requests.get(url + "/health/ready", timeout=10)
    return answer.status_code, answer.json()


@pytest.fixture
def slack_port() -> int:
    return free_port()


def _slack_env(port: int, token: str = "xoxb-sandbox-token") -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": token, "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": f"http://127.0.0.1:{port}/api/"}


def test_azure_unreachable_does_not_make_the_bot_unready(tmp_path: Path, slack_port: int) -> None:
    app = {"subscription_id": "00000000-0000-0000-0000-000000000001", "resource_group": "rg", "name": "app"}
    env = {"name": "prod", "incident_channels": ["C0INCIDENT"], "container_app": app}
    config = {
        "azure": {"arm_endpoint": f"https://127.0.0.1:{free_port()}", "credential": "emulator"},
        "services": [{"name": "api", "environments": [env]}],
    }
    with SlackFake(port=slack_port):
        for url in _serve(tmp_path, _slack_env(slack_port), config):
            ok = {"status": "ready", "database": "ok", "slack": "ok", "environments": {"api/prod": "ok"}}
            assert _ready(url) == (200, ok)


def test_slack_unreachable_while_running_is_reported_degraded_with_the_reason_then_ok_again(
    tmp_path: Path, slack_port: int
) -> None:
    fake = SlackFake(port=slack_port).start()
    for url in _serve(tmp_path, _slack_env(slack_port), {}):
        fake.stop()
        status, body = _ready(url)
        assert status == 200 and body["status"] == "degraded" and body["database"] == "ok"
        assert body["slack"].startswith("Slack unreachable: ")
        fake = SlackFake(port=slack_port).start()
        assert _ready(url) == (200, {"status": "ready", "database": "ok", "slack": "ok", "environments": {}})
    fake.stop()


def test_a_token_slack_refuses_is_503_naming_the_variable(tmp_path: Path, slack_port: int) -> None:
    with SlackFake(port=slack_port):
        for url in _serve(tmp_path, _slack_env(slack_port, token="xoxb-revoked"), {}):
            status, body = _ready(url)
    assert status == 503 and body["status"] == "unavailable"  # the bot cannot work: waiting will not fix it
    assert body["slack"].startswith("Slack refused SLACK_BOT_TOKEN (invalid_auth)")


def test_a_hung_slack_is_answered_within_the_probe_timeout(tmp_path: Path) -> None:
    """Slack accepts the connection and never answers: /health/ready still answers, in seconds."""
    hung = HungServer()
    try:
        for url in _serve(tmp_path, _slack_env(hung.port), {}):
            started = time.monotonic()
            status, body = _ready(url)
            assert time.monotonic() - started < 5.0  # inside a 5 s orchestrator probe timeout
            assert status == 200 and body["database"] == "ok" and body["status"] == "degraded"
            assert "timed out" in body["slack"] or "no answer within" in body["slack"], body
    finally:
        hung.close()


def test_a_degraded_environment_is_named_in_the_body_and_the_others_are_ok(tmp_path: Path, slack_port: int) -> None:
    app = {"subscription_id": "00000000-0000-0000-0000-000000000001", "resource_group": "rg", "name": "app"}
    prod = {"name": "prod", "incident_channels": ["C0INCIDENT"], "container_app": app}
    staging = {**prod, "name": "staging", "prompts": {"database_url": "mysql://db.invalid/prompts"}}
    config = {
        "azure": {"arm_endpoint": f"https://127.0.0.1:{free_port()}", "credential": "emulator"},
        "services": [{"name": "api", "environments": [prod, staging]}],
    }
    with SlackFake(port=slack_port):
        for url in _serve(tmp_path, _slack_env(slack_port), config):
            status, body = _ready(url)
    assert status == 200 and body["status"] == "degraded" and body["database"] == "ok" and body["slack"] == "ok"
    assert body["environments"]["api/prod"] == "ok"
    assert body["environments"]["api/staging"].startswith("degraded: prompt: ")


def test_a_dropped_socket_mode_connection_is_reported_and_the_bot_stays_ready(tmp_path: Path) -> None:
    fake = SlackFake().start()
    path = tmp_path / "rollback-bot.yaml"
    path.write_text(yaml.safe_dump({}))
    env = {"SLACK_BOT_TOKEN": fake.bot_token, "SLACK_APP_TOKEN": fake.app_token, "SLACK_API_URL": fake.api_url}
    settings = load_settings(
        {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "ROLLBACK_BOT_CONFIG": str(path)}
    )
    runtime = build_runtime(settings, BUILTIN.load_config(path))
    startup = Startup(runtime, settings, migrate_db=True, announce=lambda _line: None)
    server, url = start_in_thread(runtime)
    try:
        status, body = _ready(url)
        assert status == 503 and body["database"] == "starting"  # the database decides; it is not migrated yet
        assert body["socket_mode"] == "not connected yet"
        startup.begin()  # the database (migrations) and Slack (auth.test, then the socket) start in parallel
        connected = (200, {"status": "ready", "database": "ok", "slack": "ok", "socket_mode": "ok", "environments": {}})
        deadline = time.monotonic() + 15
        while _ready(url) != connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _ready(url) == connected
        fake.stop()  # Slack goes away: the WebSocket drops
        deadline = time.monotonic() + 10
        while _ready(url)[1].get("socket_mode") == "ok" and time.monotonic() < deadline:
            time.sleep(0.05)
        status, body = _ready(url)
        assert status == 200 and body["status"] == "degraded" and body["database"] == "ok"
        assert body["socket_mode"] == "not connected (reconnecting)"
    finally:
        startup.stop.set()
        stop_server(server)
        runtime.close()
        fake.stop()
