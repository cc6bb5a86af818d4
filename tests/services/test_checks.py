"""Checks 1 and 2 and ``run_checks``, through the real Azure adapters over HTTPS to the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from bot.domain.catalog import ChecklistPolicy
from bot.domain.kinds import CODE
from bot.domain.readiness import CheckKey, CheckStatus
from bot.services.checks import check_previous_revision, check_rollback_commands, run_checks
from tests.services.checks_world import (
    ACCOUNT,
    APP,
    RG,
    SERVER,
    SUB,
    ChecksWorld,
    base_estate,
    previous_model,
    previous_revision,
)

V1, V2 = f"{APP}--v1", f"{APP}--v2"


@pytest.fixture
def world() -> Iterator[ChecksWorld]:
    w = ChecksWorld()
    yield w
    w.close()


# --- 1. previous revision alive -------------------------------------------------------------------


def test_previous_revision_passes_when_active_running_healthy_and_answering(world: ChecksWorld) -> None:
    emu = world.emulator(base_estate())
    result = check_previous_revision(world.context(emu))
    assert result.status is CheckStatus.passed, result
    assert result.summary == f"{V1} is active, running, healthy and answers 200."
    assert f"{APP}: revisions mode Multiple" in result.evidence
    assert f"traffic now: {V2} 100 %" in result.evidence
    assert {"active: yes", "runningState: Running", "healthState: Healthy"} <= set(result.evidence)
    assert f"GET {emu.url}/_apps/{APP}/{V1}/health/ready → 200" in result.evidence
    assert any(
        c.startswith(f"az containerapp revision show --name {APP} --resource-group {RG} --revision {V1}")
        for c in result.commands
    )


def test_previous_revision_warns_when_azure_does_not_report_its_states(world: ChecksWorld) -> None:
    estate = base_estate()
    previous_revision(estate)["running_state"] = "Unknown"
    emu = world.emulator(estate)
    revision_id = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.App/containerApps/{APP}/revisions/{V1}"
    with emu.lock:  # healthState is optional in Azure's answer: drop it
        del emu.state["resources"][revision_id.lower()]["properties"]["healthState"]
    # The app's own readiness endpoint (served by the healthy v2 here) answers 200; only Azure's states are unknown.
    ctx = world.context(emu, health_url=emu.url + "/_apps/{app}/" + V2 + "{path}")
    result = check_previous_revision(ctx)
    assert result.status is CheckStatus.warn, result
    assert "runningState unknown" in result.summary and "healthState unknown" in result.summary
    assert {"runningState: Unknown", "healthState: not reported"} <= set(result.evidence)


def test_previous_revision_fails_in_single_revision_mode(world: ChecksWorld) -> None:
    estate = base_estate()
    estate["container_apps"][0]["revisions_mode"] = "Single"
    result = check_previous_revision(world.context(world.emulator(estate)))
    assert result.status is CheckStatus.failed
    assert "Single revision mode" in result.summary and "traffic shift" in result.summary
    assert f"{APP}: revisions mode Single" in result.evidence
    assert f"az containerapp revision set-mode --name {APP} --resource-group {RG} --mode multiple" in result.commands


def test_previous_revision_fails_when_unhealthy(world: ChecksWorld) -> None:
    estate = base_estate()
    previous_revision(estate)["healthy"] = False
    result = check_previous_revision(world.context(world.emulator(estate)))
    assert result.status is CheckStatus.failed
    assert result.summary.startswith(f"Previous revision {V1}: ")
    assert "runningState Degraded" in result.summary and "healthState Unhealthy" in result.summary
    assert "health endpoint answered 503" in result.summary


def test_previous_revision_fails_when_inactive(world: ChecksWorld) -> None:
    estate = base_estate()
    previous_revision(estate)["active"] = False
    result = check_previous_revision(world.context(world.emulator(estate)))
    assert result.status is CheckStatus.failed
    assert "inactive" in result.summary and "runningState Stopped" in result.summary
    assert "active: no" in result.evidence


def test_previous_revision_fails_when_its_health_endpoint_answers_503(world: ChecksWorld) -> None:
    estate = base_estate()
    estate["container_apps"][0]["revisions"][1]["healthy"] = False  # v2 unhealthy: its endpoint answers 503
    emu = world.emulator(estate)
    # Azure reports v1 Healthy/Running, but the configured health endpoint (here v2's) answers 503.
    result = check_previous_revision(world.context(emu, health_url=emu.url + "/_apps/{app}/" + V2 + "{path}"))
    assert result.status is CheckStatus.failed
    assert result.summary == f"Previous revision {V1}: its health endpoint answered 503, not 200."
    assert {"active: yes", "runningState: Running", "healthState: Healthy"} <= set(result.evidence)


def test_previous_revision_fails_without_another_revision(world: ChecksWorld) -> None:
    estate = base_estate()
    estate["container_apps"][0]["revisions"] = [
        {"name": "v1", "image": "acr.io/pharmabot:1.4.2", "created": "-1h", "traffic": 100}
    ]
    result = check_previous_revision(world.context(world.emulator(estate)))
    assert result.status is CheckStatus.failed
    assert result.summary == f"{APP} has no other revision to roll back to."
    assert f"revisions: {V1}" in result.evidence


def test_previous_revision_is_not_applicable_without_a_container_app(world: ChecksWorld) -> None:
    result = check_previous_revision(world.context(world.emulator(base_estate()), app=False))
    assert result.status is CheckStatus.passed
    assert result.evidence == ("no container app configured",)


# --- 2. rollback command documented ---------------------------------------------------------------


def test_rollback_commands_pass_with_exact_commands_for_every_kind(world: ChecksWorld, db_url: str) -> None:
    emu = world.emulator(base_estate())
    world.seed_prompts(db_url)
    ctx = world.context(emu, openai=True, search=True, postgres=True, prompts_url=db_url)
    result = check_rollback_commands(ctx)
    assert result.status is CheckStatus.passed, result
    assert (
        result.summary
        == "Concrete rollback commands for every configured kind (code, prompt, model, embedding, schema)."
    )
    commands = "\n".join(result.commands)
    assert (
        f"az containerapp ingress traffic set --name {APP} --resource-group {RG} --revision-weight {V1}=100" in commands
    )
    assert "drug_info" in commands  # the prompt store's activation SQL
    pin = next(c for c in result.commands if c.startswith("az rest --method put"))
    assert f"/accounts/{ACCOUNT}/deployments/gpt4o-stable?api-version=" in pin
    assert (
        '\'{"sku":{"name":"Standard","capacity":10},"properties":{"model":{"format":"OpenAI","name":"gpt-4o",'
        '"version":"2024-05-13"},"versionUpgradeOption":"NoAutoUpgrade"}}\''
    ) in pin
    assert (
        f"curl -sS -X PUT \"{emu.url}/aliases('drugs')?api-version=2026-04-01\" -H 'Content-Type: application/json' "
        '-H "api-key: $AZURE_SEARCH_ADMIN_KEY" -d \'{"name":"drugs","indexes":["drugs-v1"]}\''
    ) in result.commands
    restore = next(c for c in result.commands if c.startswith("az postgres flexible-server restore"))
    assert f"--resource-group {RG} --name {SERVER}-restored-" in restore
    assert f"--source-server {SERVER} --restore-time {ctx.now:%Y-%m-%dT%H:%M}" in restore
    evidence = "\n".join(result.evidence)
    assert "model gpt4o-stable: runs gpt-4o 2024-08-06 (Standard, capacity 10)" in evidence
    assert "embedding: previous index drugs-v1 exists (12000 documents)" in evidence
    assert f"schema: {SERVER} is Ready; restore window" in evidence
    assert "prompt: drug_info v2 active → drug_info v1 active" in evidence


def test_rollback_commands_warn_when_the_previous_model_version_retires_soon(world: ChecksWorld) -> None:
    estate = base_estate()
    previous_model(estate)["retires"] = "+10d"
    result = check_rollback_commands(world.context(world.emulator(estate), openai=True))
    assert result.status is CheckStatus.warn
    assert result.summary.startswith("model gpt4o-stable: previous version 2024-05-13 retires in 9 d")
    assert any('"version":"2024-05-13"' in c for c in result.commands)


def test_rollback_commands_fail_when_the_previous_model_version_is_retired(world: ChecksWorld) -> None:
    estate = base_estate()
    previous_model(estate)["retires"] = "-5d"
    result = check_rollback_commands(world.context(world.emulator(estate), openai=True))
    assert result.status is CheckStatus.failed
    assert "model gpt4o-stable: previous version 2024-05-13 was retired 5 d ago" in result.summary


def test_rollback_commands_fail_when_the_previous_model_version_is_deprecated(world: ChecksWorld) -> None:
    estate = base_estate()
    previous_model(estate).update(lifecycle="Deprecated", retires="+60d")
    result = check_rollback_commands(world.context(world.emulator(estate), openai=True))
    assert result.status is CheckStatus.failed
    assert "previous version 2024-05-13 is Deprecated and cannot be deployed" in result.summary


def test_rollback_commands_fail_without_an_earlier_model_version(world: ChecksWorld) -> None:
    estate = base_estate()
    account = estate["openai_accounts"][0]
    account["deployments"][0]["history"] = []
    account["models"] = [{"name": "gpt-4o", "version": "2024-08-06"}, {"name": "gpt-4.1", "version": "2025-04-14"}]
    result = check_rollback_commands(world.context(world.emulator(estate), openai=True))
    assert result.status is CheckStatus.failed
    assert f"no version of gpt-4o older than 2024-08-06 is deployable on {ACCOUNT}" in result.summary
    assert f"model gpt4o-stable: versions of gpt-4o on {ACCOUNT}: 2024-08-06" in result.evidence


def test_rollback_commands_check_the_region_catalog_when_the_location_is_known(world: ChecksWorld) -> None:
    estate = base_estate()
    estate["openai_accounts"].append(
        {"name": "other-openai", "location": "westeurope", "models": [{"name": "gpt-4o", "version": "2024-08-06"}]}
    )
    emu = world.emulator(estate)
    here = check_rollback_commands(world.context(emu, openai=True, openai_location="eastus"))
    assert here.status is CheckStatus.passed
    assert "model gpt4o-stable: offered in region eastus: yes" in here.evidence
    there = check_rollback_commands(world.context(emu, openai=True, openai_location="westeurope"))
    assert there.status is CheckStatus.failed
    assert "gpt-4o 2024-05-13 is not offered in westeurope" in there.summary


def test_rollback_commands_fail_when_the_previous_index_is_missing(world: ChecksWorld) -> None:
    estate = base_estate()
    estate["search"] = {"indexes": {"drugs-v2": 12450, "manuals-v1": 300}, "aliases": {"drugs": "drugs-v2"}}
    emu = world.emulator(estate)
    result = check_rollback_commands(world.context(emu, search=True))
    assert result.status is CheckStatus.failed
    assert "embedding: no previous index next to drugs-v2 for alias drugs" in result.summary
    assert f"embedding: indexes on {emu.url}: drugs-v2, manuals-v1" in result.evidence


def test_rollback_commands_pick_the_newest_older_index_and_warn_when_it_is_empty(world: ChecksWorld) -> None:
    estate = base_estate()
    estate["search"] = {
        "indexes": {"drugs-v1": 9000, "drugs-v2": 0, "drugs-v3": 12450, "drugs-v4": 10},
        "aliases": {"drugs": "drugs-v3"},
    }
    result = check_rollback_commands(world.context(world.emulator(estate), search=True))
    assert result.status is CheckStatus.warn
    assert result.summary == "embedding: previous index drugs-v2 holds no documents."
    assert any('"indexes":["drugs-v2"]' in c for c in result.commands)


def test_rollback_commands_fail_when_the_restore_window_does_not_cover_now(world: ChecksWorld) -> None:
    estate = base_estate()
    estate["postgres_servers"][0]["earliest_restore"] = "+1h"
    result = check_rollback_commands(world.context(world.emulator(estate), postgres=True))
    assert result.status is CheckStatus.failed
    assert f"schema: {SERVER}'s earliest restore point" in result.summary and "is in the future" in result.summary


def test_rollback_commands_fail_when_the_server_is_not_ready(world: ChecksWorld) -> None:
    emu = world.emulator(base_estate())
    server_id = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.DBforPostgreSQL/flexibleServers/{SERVER}"
    with emu.lock:
        emu.state["resources"][server_id.lower()]["properties"]["state"] = "Stopped"
    result = check_rollback_commands(world.context(emu, postgres=True))
    assert result.status is CheckStatus.failed
    assert f"schema: {SERVER} is Stopped, not Ready" in result.summary


def test_rollback_commands_fail_for_a_blocked_code_plan_and_a_prompt_without_history(
    world: ChecksWorld, db_url: str
) -> None:
    estate = base_estate()
    estate["container_apps"][0]["revisions_mode"] = "Single"
    emu = world.emulator(estate)
    world.seed_prompts(db_url, versions=1)
    result = check_rollback_commands(world.context(emu, prompts_url=db_url))
    assert result.status is CheckStatus.failed
    assert "code: " in result.summary and "Single revision mode" in result.summary
    assert "prompt: No prompt has an earlier version to go back to." in result.summary


def test_rollback_commands_warn_when_nothing_is_configured(world: ChecksWorld) -> None:
    result = check_rollback_commands(world.context(world.emulator(base_estate()), app=False))
    assert result.status is CheckStatus.warn
    assert result.summary == "Nothing to roll back is configured for pharmabot/prod."


def test_rollback_commands_report_an_azure_error_per_kind(world: ChecksWorld) -> None:
    emu = world.emulator(base_estate())
    emu.faults.fail_next(1, 403, path_contains="aliases")
    result = check_rollback_commands(world.context(emu, search=True, postgres=True))
    assert result.status is CheckStatus.failed
    assert result.summary.startswith("embedding: ")
    assert "embedding: could not be read (AzureAuthError)" in result.evidence
    assert any(line.startswith("code: ") for line in result.evidence)
    assert any(c.startswith("az postgres flexible-server restore") for c in result.commands)


# --- all five ---------------------------------------------------------------------------------------


def test_run_checks_runs_all_five_in_order_and_turns_errors_into_failed_results(world: ChecksWorld) -> None:
    emu = world.emulator(base_estate())
    emu.faults.fail_next(1, 403, path_contains="containerApps")
    ctx = world.context(emu, postgres=True)
    results = run_checks(ctx)
    assert [r.key for r in results] == list(CheckKey)
    first = results[0]
    assert first.status is CheckStatus.failed
    assert "AuthorizationFailed" in first.summary or "permission" in first.summary.lower()
    assert "Traceback" not in first.summary
    assert first.evidence == ("the check could not finish: AzureAuthError",)
    assert results[1].status is CheckStatus.passed  # the fault was used up; code and schema plans are concrete
    assert results[2].status is CheckStatus.warn  # no telemetry configured
    assert results[3].status is CheckStatus.passed
    assert results[4].status is CheckStatus.failed  # no drill


def test_run_checks_never_raises_when_azure_keeps_failing(world: ChecksWorld) -> None:
    emu = world.emulator(base_estate())
    ctx = world.context(emu, openai=True, search=True, postgres=True)
    emu.faults.fail_next(100, 500)
    results = run_checks(replace(ctx, policy=ChecklistPolicy(drill_max_age_days=1)))
    statuses = [r.status for r in results]
    assert statuses == [
        CheckStatus.failed,
        CheckStatus.failed,
        CheckStatus.warn,
        CheckStatus.failed,
        CheckStatus.failed,
    ]
    assert all(r.summary and "Traceback" not in r.summary for r in results)
    assert results[1].summary.startswith("code: ")
    assert {line.split(":")[0] for line in results[1].evidence} == {"code", "model", "embedding", "schema"}
    assert CODE in ctx.env.kinds
