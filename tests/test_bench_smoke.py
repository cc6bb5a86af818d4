"""The benchmarks in bench/ still run: tiny sizes, exit 0, and the last line in the agreed format.

Only the shape of the output is checked, never the numbers: performance claims come from running the
benches at full size (see bench/README.md), not from timed tests.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NUMBER = r"\d+(?:\.\d+)?"

BENCHES = [
    pytest.param(
        ["bench/ack_latency.py", "--n", "20", "--concurrency", "4", "--repeats", "1"],
        r"ack p99 ratio bot/floor: \d+\.\d\d",
        id="ack_latency",
    ),
    pytest.param(
        ["bench/ack_storm.py", "--homes", "4", "--helps", "2", "--clicks", "1", "--latency", "0.2", "--repeats", "1"],
        r"ack storm p99 slow/fast Azure: \d+\.\d\d",
        id="ack_storm",
    ),
    pytest.param(
        ["bench/approval_overhead.py", "--runs", "3", "--warmup", "1"],
        rf"approve→PATCH overhead median {NUMBER} ms p99 {NUMBER} ms \(raw SDK PATCH median {NUMBER} ms\)",
        id="approval_overhead",
    ),
    pytest.param(
        ["bench/checklist_parallel.py", "--services", "3", "--latency", "0.01", "--parallelism", "2"],
        rf"checklist 3 services: parallel {NUMBER} s, serial {NUMBER} s, speed-up {NUMBER}x",
        id="checklist_parallel",
    ),
    pytest.param(
        ["bench/release_rollback.py", "--runs", "1", "--latency", "0.01"],
        rf"release rollback {NUMBER} s vs code \+ slowest of prompt/model/embedding {NUMBER} s "
        rf"\(four layers one after another {NUMBER} s\): ratio {NUMBER}",
        id="release_rollback",
    ),
    pytest.param(
        ["bench/deploy_guard.py", "--runs", "2"],
        rf"deploy guard {NUMBER} s vs raw SDK calls {NUMBER} s: ratio {NUMBER}",
        id="deploy_guard",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("argv", "last_line"), BENCHES)
def test_bench_runs_and_prints_its_ratio_last(argv: list[str], last_line: str) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, timeout=60, check=False)
    stdout = done.stdout.decode("utf-8", "replace")
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, f"exit {done.returncode}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert lines, f"no output; stderr:\n{stderr}"
    assert re.fullmatch(last_line, lines[-1]), f"last line {lines[-1]!r} does not match {last_line!r}"
