"""The bot over Socket Mode end to end: no signing secret, requests arrive only over the fake's WebSocket."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest
import requests
import yaml
from slack_sdk.socket_mode import SocketModeClient

from bot.bootstrap import Runtime, build_runtime
from bot.config import load_config, load_settings
from bot.server import start_in_thread, start_socket_mode
from sandbox.emulators.slack import SlackFake, SlackUser
from sandbox.emulators.slack.requests import SlackRequestFactory
from sandbox.emulators.slack.socket_mode import socket_payload

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
    runtime = build_runtime(settings, load_config(settings.config_path))
    server, url = start_in_thread(runtime)
    handler = start_socket_mode(runtime, settings.slack_app_token)
    try:
        assert handler.client.is_connected() and slack.socket_connections() == 1
        yield Served(slack, runtime, url)
    finally:
        close_quickly(handler.client)
        server.close()
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
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "ROLLBACK_BOT_"))}
    env = {k: v for k, v in env.items() if k.lower() not in ("http_proxy", "https_proxy")}  # slack_sdk would use them
    stderr = tmp_path / "stderr.log"
    with stderr.open("w") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", "0", "--host", "127.0.0.1"],
            cwd=tmp_path,
            env={**env, **socket_mode_env(slack, tmp_path)},
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    assert proc.stdout is not None
    output = Lines(proc.stdout, stderr)
    try:
        listening = output.wait_for("listening on http://127.0.0.1:")
        output.wait_for("connected to Slack over Socket Mode")
        assert slack.socket_connections() == 1
        assert_help_is_acked_and_answered(slack)
        port = re.search(r"http://127\.0\.0\.1:(\d+)", listening)
        assert port is not None
        events = requests.post(f"http://127.0.0.1:{port.group(1)}/slack/events", data="x", timeout=5)
        assert events.status_code == 503
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        output.close()


class Lines:
    """A child's stdout, drained by a thread (so the pipe never fills), waited on with a deadline."""

    def __init__(self, stream: IO[str], stderr: Path) -> None:
        self.stderr = stderr
        self.seen: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        self._stream = stream
        self._thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Once the child is gone: the drain reaches the end, then the pipe closes."""
        self._thread.join(timeout=5)
        self._stream.close()

    def _drain(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                break
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(
            f"{text!r} not printed within {timeout}s; stdout:\n{''.join(self.seen)}\nstderr:\n{self.stderr.read_text()}"
        )


def test_serve_refuses_an_app_token_slack_rejects(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A wrong SLACK_APP_TOKEN: a clear message and exit 2, not a traceback after 'listening on'."""
    import os
    import subprocess
    import sys

    from sandbox.emulators.slack import SlackFake

    with SlackFake() as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "ROLLBACK_BOT"))}
        env.update({"SLACK_BOT_TOKEN": fake.bot_token, "SLACK_APP_TOKEN": "xapp-wrong", "SLACK_API_URL": fake.api_url})
        env = {k: v for k, v in env.items() if "proxy" not in k.lower()}
        result = subprocess.run(
            [sys.executable, "-m", "bot", "serve", "--port", "0", "--host", "127.0.0.1"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Slack refused SLACK_APP_TOKEN for Socket Mode (invalid_auth)" in result.stderr
    assert "Traceback" not in result.stderr and "listening on" not in result.stdout
