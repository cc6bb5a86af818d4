"""The bot over Socket Mode end to end: no signing secret, requests arrive only over the fake's WebSocket."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import yaml
from slack_sdk.socket_mode import SocketModeClient

from bot.bootstrap import Runtime, build_runtime
from bot.config import load_settings
from bot.kinds.builtin import BUILTIN
from bot.server import start_in_thread, start_socket_mode, stop_server
from sandbox.emulators.slack import SlackFake, SlackUser
from sandbox.emulators.slack.requests import SlackRequestFactory
from sandbox.emulators.slack.socket_mode import socket_payload
from tests.harness.serve import ServeProcess

CHANNEL = "C0INCIDENT"
CONFIG = {"services": [{"name": "pharmabot", "environments": [{"name": "prod", "incident_channels": [CHANNEL]}]}]}


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with SlackFake() as fake:
        fake.add_user(SlackUser(id="U0ALICE", name="alice"))
        fake.add_channel(CHANNEL, name="inc-pharmabot")
        yield fake


def socket_mode_env(slack: SlackFake, tmp_path: Path) -> dict[str, str]:
    """What an operator sets for Socket Mode: bot and app tokens, no signing secret."""
    config = tmp_path / "rollback-bot.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    return {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_API_URL": slack.api_url,
        "ROLLBACK_BOT_CONFIG": str(config),
    }


@dataclass
class Served:
    slack: SlackFake
    runtime: Runtime
    url: str


@pytest.fixture
def served(slack: SlackFake, tmp_path: Path) -> Iterator[Served]:
    """The runtime ``rollback-bot serve`` builds, its HTTP server, and its Socket Mode connection."""
    settings = load_settings({**socket_mode_env(slack, tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}"})
    assert settings.slack_app_token and settings.slack_signing_secret is None
    runtime = build_runtime(settings, BUILTIN.load_config(settings.config_path))
    server, url = start_in_thread(runtime)
    handler = start_socket_mode(runtime, settings.slack_app_token)
    try:
        assert handler.client.is_connected() and slack.socket_connections() == 1
        yield Served(slack, runtime, url)
    finally:
        close_quickly(handler.client)
        stop_server(server)
        runtime.close()


def close_quickly(client: SocketModeClient) -> None:
    """``client.close()`` without its waits: the 3 s recv timeout of the read loop, the 1 s queue poll."""
    client.closed = True
    client.message_queue.put("")
    client.current_session_state.terminated = True
    if client.current_session is not None and client.current_session.is_active():
        client.current_session.ping("closing")
    client.close()


def assert_help_is_acked_and_answered(slack: SlackFake) -> None:
    started = time.monotonic()
    envelope_id = slack.socket_slash_command("U0ALICE", CHANNEL, "help")
    assert slack.wait_for_ack(envelope_id, timeout=3) == {"envelope_id": envelope_id}
    assert time.monotonic() - started < 3
    call = slack.wait_for("response_url", timeout=5)
    assert "Rollback Bot: usage" in json.dumps(call.body["blocks"])
    assert call.body["response_type"] == "ephemeral"


def test_help_over_the_socket_is_acked_and_answered_via_response_url(served: Served) -> None:
    [opened] = served.slack.calls_to("apps.connections.open")
    assert opened.headers["authorization"] == f"Bearer {served.slack.app_token}"
    assert_help_is_acked_and_answered(served.slack)
    [ack] = served.slack.socket_acks()
    assert ack.latency is not None and ack.latency < 3


def test_without_a_signing_secret_nothing_can_be_posted_over_http(served: Served) -> None:
    """Even a request signed with some secret gets 503: over HTTP, Slack requests are not served at all."""
    signed = SlackRequestFactory("guessed-secret", fake=served.slack).slash_command("U0ALICE", CHANNEL, "help")
    answer = signed.post(served.url)
    assert answer.status_code == 503
    time.sleep(0.2)
    assert served.slack.calls_to("response_url") == []
    assert requests.get(served.url + "/health/ready", timeout=5).status_code == 200


def test_events_over_the_socket_first_deliveries_handled_redeliveries_skipped(served: Served) -> None:
    """Slack marks a first delivery ``retry_attempt: 0`` (Bolt: x-slack-retry-num 0); only 1+ are re-deliveries."""
    home = socket_payload(SlackRequestFactory("unused", fake=served.slack).app_home_opened("U0ALICE").body)
    redelivery = served.slack.send_envelope("events_api", home, retry_attempt=1, retry_reason="timeout")
    assert served.slack.wait_for_ack(redelivery, timeout=3) == {"envelope_id": redelivery}
    first = served.slack.send_envelope("events_api", home)
    assert served.slack.wait_for_ack(first, timeout=3) == {"envelope_id": first}
    served.slack.wait_for("views.publish", timeout=3)
    assert len(served.slack.calls_to("views.publish")) == 1  # the re-delivery ran no listener


def test_serve_command_connects_over_socket_mode(slack: SlackFake, tmp_path: Path) -> None:
    bot = ServeProcess.start(tmp_path, socket_mode_env(slack, tmp_path))
    try:
        bot.wait_for("connected to Slack over Socket Mode")
        assert slack.socket_connections() == 1
        ready = {
            "status": "ready",
            "database": "ok",
            "slack": "ok",
            "socket_mode": "ok",
            "environments": {"pharmabot/prod": "ok"},
        }
        assert bot.wait_ready().json() == ready
        assert_help_is_acked_and_answered(slack)
        events = requests.post(bot.url + "/slack/events", data="x", timeout=5)
        assert events.status_code == 503
        bot.signal(signal.SIGTERM)
        assert bot.wait() == 0
        assert "drained in" in bot.output()
    finally:
        bot.close()


@pytest.mark.parametrize("token", ["SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"])
def test_serve_refuses_a_token_slack_rejects(tmp_path: Path, token: str) -> None:
    """A wrong token is configuration, not an outage: one clear line and exit 2 (the port was bound first)."""
    with SlackFake() as fake:
        env = {"SLACK_BOT_TOKEN": fake.bot_token, "SLACK_APP_TOKEN": fake.app_token, "SLACK_API_URL": fake.api_url}
        env[token] = "xapp-wrong" if token == "SLACK_APP_TOKEN" else "xoxb-wrong"
        bot = ServeProcess.start(tmp_path, env)
        try:
            assert bot.wait(timeout=60) == 2
        finally:
            bot.close()
    output = bot.output()
    expected = (
        "error: Slack refused SLACK_APP_TOKEN for Socket Mode (invalid_auth)"
        if token == "SLACK_APP_TOKEN"
        else "error: Slack refused SLACK_BOT_TOKEN (invalid_auth)"
    )
    assert expected in output, output
    assert "Traceback" not in output
