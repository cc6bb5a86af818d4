"""`rollback-bot sandbox` as a person runs it, and what `python3 dev.py run` starts."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

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
