"""The composite action (action.yml): its inputs reach `rollback-bot`, its outputs and exit follow the deploy's.

The steps' shell is run as the runner runs it (bash), with a `rollback-bot` on PATH that records its
arguments and answers like the real command (its JSON on stdout, its exit code).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
FAKE = """#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$RB_CALLS"
if [ "$1" = checklist ]; then exit "$RB_CHECKLIST_EXIT"; fi
printf '{"outcome": "%s", "revision": "app--g7", "exit_code": %s}\\n' "$RB_OUTCOME" "$RB_DEPLOY_EXIT"
exit "$RB_DEPLOY_EXIT"
"""


def _step(name: str) -> dict[str, Any]:
    return next(s for s in ACTION["runs"]["steps"] if s.get("name") == name)


def _run(tmp_path: Path, name: str, inputs: dict[str, str], **fake: str) -> tuple[int, str, dict[str, str], str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    tool = bin_dir / "rollback-bot"
    tool.write_text(FAKE)
    tool.chmod(0o755)
    output, calls = tmp_path / "output", tmp_path / "calls"
    output.write_text("")
    step = _step(name)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
        "RB_CALLS": str(calls),
        "RB_CHECKLIST_EXIT": fake.get("checklist", "0"),
        "RB_DEPLOY_EXIT": fake.get("deploy", "0"),
        "RB_OUTCOME": fake.get("outcome", "promoted"),
    }
    for key, value in step["env"].items():  # ${{ inputs.x }} as the runner fills it in
        expression = str(value).removeprefix("${{ inputs.").removesuffix(" }}")
        env[key] = inputs.get(expression, ACTION["inputs"][expression].get("default", ""))
    done = subprocess.run(
        [shutil.which("bash") or "/bin/bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return done.returncode, done.stdout, outputs, calls.read_text() if calls.exists() else ""


def test_the_action_is_composite_and_documents_its_inputs_and_outputs() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert {"service", "environment", "image", "steps", "revision-suffix", "config", "checklist"} <= set(
        ACTION["inputs"]
    )
    assert set(ACTION["outputs"]) == {"exit-code", "outcome", "revision"}
    assert all(s.get("shell") == "bash" for s in ACTION["runs"]["steps"] if "run" in s)


def test_a_promoted_deploy_passes_its_inputs_and_sets_the_outputs(tmp_path: Path) -> None:
    inputs = {"service": "pharmabot", "environment": "prod", "image": "acr.io/app:1.6 ; rm -rf /", "steps": "5,25,100"}
    code, out, outputs, calls = _run(tmp_path, "Guarded deploy", {**inputs, "revision-suffix": "g7"})
    assert code == 0, out
    assert (
        calls.strip()
        == "deploy pharmabot --image acr.io/app:1.6 ; rm -rf / --json --env prod --steps 5,25,100 --revision-suffix g7"
    )
    assert outputs == {"exit-code": "0", "outcome": "promoted", "revision": "app--g7"}
    assert json.loads(out.splitlines()[0])["outcome"] == "promoted"


@pytest.mark.parametrize(
    ("exit_code", "outcome", "says"), [("1", "rolled_back", "rolled back"), ("3", "refused", "refused")]
)
def test_a_rolled_back_or_refused_deploy_fails_the_step_with_its_exit_code(
    tmp_path: Path, exit_code: str, outcome: str, says: str
) -> None:
    code, out, outputs, _ = _run(
        tmp_path, "Guarded deploy", {"service": "pharmabot", "image": "x"}, deploy=exit_code, outcome=outcome
    )
    assert code == int(exit_code)
    assert outputs["exit-code"] == exit_code and outputs["outcome"] == outcome
    assert "::error title=rollback-bot deploy::" in out and says in out


def test_a_failing_checklist_stops_before_the_deploy_with_exit_3(tmp_path: Path) -> None:
    code, out, _, calls = _run(
        tmp_path, "Pre-deploy checklist", {"service": "pharmabot", "environment": "prod"}, checklist="1"
    )
    assert code == 3 and "not deploying" in out
    assert calls.strip() == "checklist pharmabot --env prod --strict"
