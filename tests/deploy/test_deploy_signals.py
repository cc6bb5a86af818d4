"""SIGTERM to a `rollback-bot deploy` process mid-canary: it rolls traffic back, then exits 1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from bot.domain.deploy import ExitCode
from tests.deploy.support import APP, V1, V2, deploy_config, prepare, rules
from tests.harness.world import PROCESS_POLL_MS, World, started_world


@pytest.fixture
def holding_world(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    holding = deploy_config(step_seconds=60)
    yield from started_world(db_url, tmp_path_factory, config=holding, poll_after_ms=PROCESS_POLL_MS)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_deploy_rolls_back_before_the_process_exits(
    holding_world: World, db_url: str, signum: signal.Signals
) -> None:
    world = holding_world
    prepare(world)
    new = f"{APP}--sig{int(signum)}"
    env = {
        **os.environ,
        "ROLLBACK_BOT_CONFIG": str(world.config_path),
        "DATABASE_URL": db_url,
        "SLACK_BOT_TOKEN": world.slack.bot_token,
        "SLACK_API_URL": world.slack.api_url,
    }
    env.pop("SLACK_SIGNING_SECRET", None)
    args = ["deploy", "pharmabot", "--env", "prod", "--image", "acr.io/pharmabot:1.6.0"]
    args += ["--revision-suffix", f"sig{int(signum)}", "--steps", "5,100"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        world.wait(lambda: world.traffic().get(new) == 5 or proc.poll() is not None, timeout=60, what="step 1")
        assert proc.poll() is None, proc.communicate()
        started = time.monotonic()
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == ExitCode.rolled_back, err
    took = time.monotonic() - started
    print(f"{signum.name} mid-deploy: rolled back and exited after {took:.1f} s")
    # The restore's traffic PATCH is polled at the pace the emulator asks (PROCESS_POLL_MS); the bound allows a
    # loaded CI worker: what matters is that it rolls back before exiting.
    assert took < 20
    assert "rolling back" in err and "rolled back" in err
    assert rules(world) == [
        {"revisionName": V1, "weight": 0, "label": "blue"},
        {"revisionName": V2, "weight": 100, "label": "green"},
    ]
    assert world.traffic()[new] == 0
