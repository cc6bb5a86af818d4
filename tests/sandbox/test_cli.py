"""`rollback-bot sandbox` as a person runs it, and what `python3 dev.py run` starts."""

from __future__ import annotations

import importlib.util
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from types import ModuleType

import requests

ROOT = Path(__file__).resolve().parents[2]


def _lines(process: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    return lines


def test_sandbox_command_prints_one_url_falls_back_from_a_taken_port_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "sandbox", "--port", str(port), "--state-dir", str(tmp_path / "state")],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            lines = _lines(process)
            printed = [lines.get(timeout=30)]
            while not printed[-1].startswith("Sandbox ready: "):
                printed.append(lines.get(timeout=30))
            url = printed[-1].removeprefix("Sandbox ready: ")
            assert printed[0] == f"Port {port} is taken; using a free port instead."
            assert url.startswith("http://127.0.0.1:") and url != f"http://127.0.0.1:{port}/"
            assert "inc-pharmabot" in requests.get(url, timeout=5).text
            printed.append(lines.get(timeout=5))
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0
            while not lines.empty():
                printed.append(lines.get())
        finally:
            process.kill()
    assert sum("http://" in line for line in printed) == 1, printed
    assert printed[-1] == "Sandbox stopped; its state is kept for the next start."
    assert (tmp_path / "state" / "slack-channel.json").exists() and (tmp_path / "state" / "sandbox.log").exists()


def _dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dev_run_starts_the_sandbox_without_slack_credentials_and_the_bot_with_them() -> None:
    dev = _dev()
    assert dev.run_args([], {}) == ["sandbox"]
    assert dev.run_args([], {"SLACK_BOT_TOKEN": ""}) == ["sandbox"]
    assert dev.run_args([], {"SLACK_BOT_TOKEN": "xoxb-1"}) == ["serve"]
    assert dev.run_args(["sandbox", "--reset"], {"SLACK_BOT_TOKEN": "xoxb-1"}) == ["sandbox", "--reset"]


def test_dev_test_runs_the_fast_tier_in_one_process_and_everything_else_on_two_workers() -> None:
    dev = _dev()
    assert dev.pytest_workers(["-m", "fast"], {}) == "0"
    assert dev.pytest_workers(["-m", "fast"], {"PYTEST_WORKERS": "2"}) == "2"
    assert dev.pytest_workers(["-m", "not fast"], {}) == "2"
    assert dev.pytest_workers([], {}) == "2"
