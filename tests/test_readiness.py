"""/health/ready: the database and Slack decide it, Azure does not; the body says which and why."""

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
            assert _ready(url) == (200, {"status": "ready", "database": "ok", "slack": "ok"})


def test_slack_unreachable_while_running_is_503_with_the_reason_then_ready_again(
    tmp_path: Path, slack_port: int
) -> None:
    fake = SlackFake(port=slack_port).start()
    for url in _serve(tmp_path, _slack_env(slack_port), {}):
        fake.stop()
        status, body = _ready(url)
        assert status == 503 and body["status"] == "unavailable" and body["database"] == "ok"
        assert body["slack"].startswith("Slack unreachable: ")
        fake = SlackFake(port=slack_port).start()
        assert _ready(url) == (200, {"status": "ready", "database": "ok", "slack": "ok"})
    fake.stop()


def test_a_token_slack_refuses_is_503_naming_the_variable(tmp_path: Path, slack_port: int) -> None:
    with SlackFake(port=slack_port):
        for url in _serve(tmp_path, _slack_env(slack_port, token="xoxb-revoked"), {}):
            status, body = _ready(url)
    assert status == 503
    assert body["slack"].startswith("Slack refused SLACK_BOT_TOKEN (invalid_auth)")


def test_a_hung_slack_is_answered_within_the_probe_timeout(tmp_path: Path) -> None:
    """Slack accepts the connection and never answers: /health/ready still answers, in seconds."""
    hung = HungServer()
    try:
        for url in _serve(tmp_path, _slack_env(hung.port), {}):
            started = time.monotonic()
            status, body = _ready(url)
            assert time.monotonic() - started < 5.0  # inside a 5 s orchestrator probe timeout
            assert status == 503 and body["database"] == "ok"
            assert "timed out" in body["slack"] or "no answer within" in body["slack"], body
    finally:
        hung.close()
