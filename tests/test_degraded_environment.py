"""An environment whose kind cannot be bound is degraded, with the reason; the bot starts and the rest works."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bot.bootstrap import build_runtime
from bot.cli import main
from bot.config import load_settings
from bot.domain.kinds import CODE, PROMPT, RELEASE
from bot.domain.rollback_requests import ServiceEnv
from bot.kinds.builtin import BUILTIN
from bot.services.checklist_runs import run_checklist
from bot.services.live import live_state
from sandbox.emulators.azure import DEMO_ESTATE_PATH, AzureEmulator

SUB, RG = "00000000-0000-0000-0000-000000000001", "pharmabot-rg"


def _config(emu: AzureEmulator, tmp_path: Path) -> Path:
    app = (
        '{subscription_id: "%s", resource_group: %s, name: pharmabot-%s, health_url: "%s/_apps/{app}/{revision}{path}"}'
    )
    text = f"""
azure: {{arm_endpoint: "{emu.url}", ca_bundle: "{emu.ca_path}", credential: emulator}}
services:
  - name: pharmabot
    environments:
      - name: prod
        container_app: {app % (SUB, RG, "prod", emu.url)}
        prompts: {{database_url: "sqlite:///{tmp_path}/prompts.db"}}
      - name: staging
        container_app: {app % (SUB, RG, "staging", emu.url)}
        prompts: {{database_url: "mysql://db.invalid/prompts"}}
"""
    path = tmp_path / "rollback-bot.yaml"
    path.write_text(text)
    return path


def test_one_unusable_block_degrades_only_its_environment(tmp_path: Path) -> None:
    with AzureEmulator(estate=DEMO_ESTATE_PATH) as emu:
        path = _config(emu, tmp_path)
        settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/bot.db", "ROLLBACK_BOT_CONFIG": str(path)})
        runtime = build_runtime(
            settings, BUILTIN.load_config(path), slack_app=False, azure_client_kwargs={"retry_total": 0}
        )
        try:
            deps = runtime.deps
            prod, staging = ServiceEnv("pharmabot", "prod"), ServiceEnv("pharmabot", "staging")
            assert set(deps.environment(prod).kinds) == {CODE, PROMPT, RELEASE} and not deps.environment(prod).degraded
            degraded = deps.environment(staging)  # a release rollback still has the code layer
            assert list(degraded.kinds) == [CODE, RELEASE] and "could not be used" in degraded.problems[PROMPT]
            notes = [n for f in live_state(deps, staging) for n in f.notes]
            assert any(n.startswith("unavailable: ") for n in notes)
            item2 = run_checklist(deps, target=staging, trigger="cli").report.results[1]
            assert item2.status.value == "fail" and "prompt: unavailable" in item2.summary
            assert "code: " in " ".join(item2.evidence)  # the other kind is still checked
        finally:
            runtime.close()
        env = {"ROLLBACK_BOT_CONFIG": str(path), "DATABASE_URL": f"sqlite:///{tmp_path}/bot.db"}
        shown = CliRunner().invoke(main, ["inspect", "pharmabot", "--env", "staging", "--json"], env=env)
        data = json.loads(shown.stdout)
        assert shown.exit_code == 1 and "unavailable" in data["prompts"]["error"]
        assert data["container_app"]["name"] == "pharmabot-staging"
