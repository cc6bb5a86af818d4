"""`rollback-bot telemetry test`: each configured query run once against the emulator (or a SQL call log), what
came back shown, the columns checked, and the exit code a pipeline can use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from bot.cli import main
from sandbox.demo import WORKSPACES, sandbox_config
from sandbox.emulators.azure import AzureEmulator


@pytest.fixture
def config_path(emulator: AzureEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    prompts = {env: f"sqlite:///{tmp_path / f'prompts-{env}.db'}" for env in ("prod", "staging")}
    path = tmp_path / "rollback-bot.yaml"
    path.write_text(yaml.safe_dump(sandbox_config(emulator.url, emulator.ca_path, prompts)))
    monkeypatch.setenv("ROLLBACK_BOT_CONFIG", str(path))
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["telemetry", "test", *args], catch_exceptions=False)


def test_every_configured_query_is_run_once_and_shown(emulator: AzureEmulator, config_path: Path) -> None:
    result = run("pharmabot", "--env", "prod")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"pharmabot/prod: Log Analytics workspace {WORKSPACES['prod']}"
    assert "[OK] prompt_versions (columns total, with_prompt_version)" in lines
    assert "[OK] by_revision (columns revision, calls, errors, p95_ms)" in lines
    assert "    revision            calls  errors  p95_ms" in lines
    # v1 served the day until v2 went out 40 minutes ago (60 calls a minute)
    assert any(line.startswith("    pharmabot-prod--v1  840") for line in lines), lines
    assert any(line.startswith("    pharmabot-prod--v2  24") for line in lines), lines
    assert "[OK] by_prompt_version (columns prompt, version, calls, errors)" in lines
    assert "[OK] by_model (columns deployment, model_version, calls, errors)" in lines
    sent = emulator.requests.matching("POST", "/query")
    assert len(sent) == 4
    assert all(r.body["timespan"].count("/") == 1 for r in sent)


def test_columns_that_do_not_match_fail_the_command_with_the_reason(emulator: AzureEmulator, config_path: Path) -> None:
    emulator.set_query_result(
        WORKSPACES["prod"], {"match": "p95_ms", "columns": ["revision", "n", "failed"], "rows": [["v2", 4, 1]]}
    )
    result = run("pharmabot", "--json")
    assert result.exit_code == 1
    report: dict[str, Any] = json.loads(result.output)
    assert report["ok"] is False
    by_query = {q["query"]: q for q in report["queries"]}
    revision = by_query["by_revision"]
    assert revision["status"] == "fail"
    assert revision["columns"] == ["revision", "n", "failed"]
    assert revision["rows"] == [["v2", 4, 1]]
    assert revision["expected_columns"] == ["revision", "calls", "errors", "p95_ms"]
    assert "returned no column 'calls', 'errors', 'p95_ms' (columns: revision, n, failed)" in revision["problem"]
    assert by_query["prompt_versions"]["status"] == "ok"


def test_a_query_azure_refuses_is_a_failed_line_not_a_crash(emulator: AzureEmulator, config_path: Path) -> None:
    emulator.faults.fail_next(1, 429, retry_after=600, path_contains="/query")
    result = run("pharmabot")
    assert result.exit_code == 1
    assert "[FAIL] prompt_versions (columns total, with_prompt_version)" in result.output
    assert "problem: Azure is throttling requests to run the telemetry query prompt_versions" in result.output
    assert "[OK] by_revision" in result.output


def test_the_sql_kind_and_queries_it_does_not_have(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = f"sqlite:///{tmp_path / 'calls.db'}"
    config = {
        "services": [
            {
                "name": "svc",
                "environments": [
                    {
                        "name": "prod",
                        "telemetry": {"database_url": calls, "query": "SELECT 3 AS total, 2 AS with_version"},
                    }
                ],
            }
        ]
    }
    path = tmp_path / "rollback-bot.yaml"
    path.write_text(yaml.safe_dump(config))
    monkeypatch.setenv("ROLLBACK_BOT_CONFIG", str(path))
    result = run("svc")
    assert result.exit_code == 0, result.output
    assert "[OK] prompt_versions (columns total, with_prompt_version)" in result.output
    assert "    total  with_version\n    3      2\n    (1 row)" in result.output
    assert "[NOT CONFIGURED] by_revision" in result.output


def test_no_telemetry_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "rollback-bot.yaml"
    path.write_text(yaml.safe_dump({"services": [{"name": "svc", "environments": [{"name": "prod"}]}]}))
    monkeypatch.setenv("ROLLBACK_BOT_CONFIG", str(path))
    result = CliRunner().invoke(main, ["telemetry", "test", "svc"])
    assert result.exit_code == 2
    assert "svc/prod has no telemetry configured" in result.output
