"""`rollback-bot serve` in a child process, as an orchestrator runs it: signals, exit codes, its log.

bot = ServeProcess.start(tmp_path, {"DATABASE_URL": url})
bot.wait_ready()
bot.signal(signal.SIGTERM)
assert bot.wait() == 0 and "drained" in bot.output()
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from bot.domain.kinds import CODE
from bot.domain.rollback_requests import RequestStatus
from bot.domain.tree import FlowState
from bot.services import rollbacks
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.harness.world import ALICE, BOB, CHANNEL, PROCESS_POLL_MS, SECRET, World

# What the child must not inherit from the test run (the tests' own settings, proxies slack_sdk would use).
_DROPPED = ("SLACK_", "DATABASE_URL", "ROLLBACK_BOT_CONFIG", "PORT", "LOG_LEVEL")


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED) and "proxy" not in k.lower()}
    return {**env, **extra}


class ServeProcess:
    """The child, its combined stdout and stderr drained line by line (the pipe never fills)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self._lines: queue.Queue[str] = queue.Queue()
        self._seen: list[str] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        self.url = ""

    @classmethod
    def start(cls, cwd: Path, env: dict[str, str], *args: str, wait_listening: bool = True) -> ServeProcess:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", "0", "--host", "127.0.0.1", *args],
            cwd=cwd,
            env=child_env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        child = cls(proc)
        if wait_listening:
            line = child.wait_for("listening on http://127.0.0.1:")
            port = re.search(r"http://127\.0\.0\.1:(\d+)", line)
            assert port is not None, line
            child.url = f"http://127.0.0.1:{port.group(1)}"
        return child

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)

    def _take(self, timeout: float) -> str | None:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            return None
        self._seen.append(line)
        return line

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        """The first line (from the start) containing ``text``."""
        for line in self._seen:
            if text in line:
                return line
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            line = self._take(remaining)
            if line is not None and text in line:
                return line
        raise AssertionError(f"{text!r} not printed within {timeout} s; output:\n{self.output()}")

    def output(self) -> str:
        """Everything printed so far."""
        while self._take(0) is not None:
            pass
        return "".join(self._seen)

    def get(self, path: str, timeout: float = 10.0) -> requests.Response:
        return requests.get(self.url + path, timeout=timeout)

    def wait_ready(self, timeout: float = 30.0) -> requests.Response:
        """Poll /health/ready until 200; the last answer otherwise fails the test."""
        deadline = time.monotonic() + timeout
        while True:
            answer = self.get("/health/ready")
            if answer.status_code == 200 or time.monotonic() > deadline:
                assert answer.status_code == 200, f"{answer.text}\n{self.output()}"
                return answer
            time.sleep(0.1)

    def signal(self, signum: signal.Signals = signal.SIGTERM) -> None:
        self.proc.send_signal(signum)

    def wait(self, timeout: float = 40.0) -> int:
        """The exit code (the whole output is read first)."""
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        self.output()
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def serve_replica(world: World, tmp_path: Path, *args: str) -> ServeProcess:
    """`serve` in a child process on the world's database, fakes and configuration (a second replica)."""
    env = {
        "SLACK_BOT_TOKEN": world.slack.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": world.slack.api_url,
        "DATABASE_URL": world.settings.database_url,
        "ROLLBACK_BOT_CONFIG": str(world.config_path),
        "WORLD_SEARCH_KEY": world.azure.token,
    }
    world.azure.poll_after(PROCESS_POLL_MS)
    bot = ServeProcess.start(tmp_path, env, *args)
    bot.wait_ready()
    return bot


def approve_on(world: World, bot: ServeProcess) -> int:
    """Open a code rollback (through the in-process replica) and approve it on the child."""
    state = FlowState(CHANNEL, "pharmabot", "prod", True, CODE)
    request = rollbacks.open_request(world.runtime.deps, state=state, reason="bad deploy", requester_id=ALICE)
    click = world.factory.block_action_message(
        BOB, CHANNEL, request.message_ts or "", SlackId.approve.value, encode_request_ref(request.id)
    )
    assert click.post(bot.url).status_code == 200
    world.wait(
        lambda: world.runtime.deps.requests.get(request.id).status is RequestStatus.executing,
        what="the child executing",
    )
    return request.id
