"""``inspect_environment`` and the ``inspect`` CLI against the demo estate in the Azure emulator."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from bot.bootstrap import standalone_environments
from bot.cli.inspect_cmd import register
from bot.cli.render import facts_text
from bot.domain.rollback_requests import ServiceEnv
from bot.kinds.builtin import BUILTIN
from bot.services.inspect import Section, inspect_environment, inspect_json
from sandbox.emulators.azure import AzureEmulator
from tests.adapters.azure.conftest import FAST, RG, SUB, write_config


def _config_text(emulator: AzureEmulator, *, envs: tuple[str, ...] = ("prod", "staging")) -> str:
    """A configuration whose environments use the demo estate's resources."""
    blocks = []
    for env in envs:
        suffix = "" if env == "prod" else f"-{env}"
        blocks.append(
            f"""
      - name: {env}
        container_app: {{subscription_id: "{SUB}", resource_group: {RG}, name: pharmabot-{env}}}
        openai: {{subscription_id: "{SUB}", resource_group: {RG}, account: pharmabot-openai,
                  deployments: [gpt4o-stable]}}
        postgres: {{subscription_id: "{SUB}", resource_group: {RG}, server: pharmabot-db{suffix}}}
        search: {{endpoint: "{emulator.url}", alias: drugs}}"""
        )
    return f"""
azure:
  arm_endpoint: "{emulator.url}"
  ca_bundle: "{emulator.ca_path}"
  credential: emulator
services:
  - name: pharmabot
    environments:{"".join(blocks)}
"""


@pytest.fixture
def sections(emulator: AzureEmulator) -> Iterator[Callable[[], list[Section]]]:
    """Run ``inspect_environment`` for pharmabot/prod against the emulator."""
    config = BUILTIN.parse_config(_config_text(emulator), file="test.yaml", env={})
    environments = standalone_environments(config, azure_client_kwargs=FAST)
    yield lambda: inspect_environment(environments(ServiceEnv("pharmabot", "prod")), BUILTIN.kinds)
    environments.close()


@pytest.fixture
def inspect(sections: Callable[[], list[Section]]) -> Callable[[], dict[str, Any]]:
    """The ``inspect --json`` result for pharmabot/prod."""
    return lambda: inspect_json(sections())


def test_inspect_reads_all_four_components(inspect: Callable[[], dict[str, Any]]) -> None:
    result = inspect()
    assert set(result) == {"container_app", "openai", "postgres", "search"}
    app = result["container_app"]
    assert set(app) == {"name", "active_revisions_mode", "fqdn", "traffic", "revisions"}
    assert app["traffic"] == [
        {"revisionName": "pharmabot-prod--v1", "weight": 0},
        {"revisionName": "pharmabot-prod--v2", "weight": 100},
    ]
    assert (app["name"], app["active_revisions_mode"]) == ("pharmabot-prod", "Multiple")
    revisions = {r["name"]: r for r in app["revisions"]}
    assert set(revisions["pharmabot-prod--v2"]) == {
        "name",
        "active",
        "traffic_weight",
        "created_time",
        "image",
        "health_state",
        "running_state",
    }
    assert revisions["pharmabot-prod--v2"]["traffic_weight"] == 100
    assert revisions["pharmabot-prod--v2"]["health_state"] == "Unhealthy"
    assert revisions["pharmabot-prod--v1"]["image"] == "pharmabotacr.azurecr.io/pharmabot:1.4.2"
    assert result["openai"] == {
        "deployments": [
            {
                "name": "gpt4o-stable",
                "model": "gpt-4o",
                "version": "2024-08-06",
                "version_upgrade_option": "NoAutoUpgrade",
                "provisioning_state": "Succeeded",
            }
        ]
    }
    pg = result["postgres"]
    assert set(pg) == {"server", "state", "earliest_restore_date", "backups"}
    assert (pg["server"], pg["state"], len(pg["backups"])) == ("pharmabot-db", "Ready", 7)
    assert set(pg["backups"][0]) == {"name", "completed_time", "type"}
    assert result["search"] == {"alias": "drugs", "index": "drugs-v2"}
    json.loads(json.dumps(result))  # JSON-safe: datetimes are ISO-8601 text
    assert "T" in revisions["pharmabot-prod--v1"]["created_time"] and "T" in pg["earliest_restore_date"]


def test_one_failing_component_does_not_hide_the_others(
    emulator: AzureEmulator, sections: Callable[[], list[Section]]
) -> None:
    emulator.faults.fail_next(1, 403, path_contains="Microsoft.DBforPostgreSQL")
    read = sections()
    result = inspect_json(read)
    assert "lacks permission 'Microsoft.DBforPostgreSQL/flexibleServers/read'" in result["postgres"]["error"]
    assert result["container_app"]["name"] == "pharmabot-prod"
    assert result["openai"]["deployments"][0]["name"] == "gpt4o-stable"
    assert result["search"]["index"] == "drugs-v2"
    assert "ERROR: Azure refused" in facts_text([s.facts() for s in read])


def test_render_inspect_table(sections: Callable[[], list[Section]]) -> None:
    table = facts_text([s.facts() for s in sections()])
    for text in (
        "Container app",
        "pharmabot-prod--v1",
        "Unhealthy",
        "100%",
        "Azure OpenAI",
        "gpt4o-stable",
        "2024-08-06",
        "PostgreSQL",
        "pharmabot-db",
        "AI Search",
        "alias drugs -> index drugs-v2",
    ):
        assert text in table


# --- the CLI -------------------------------------------------------------------------------------


@pytest.fixture
def cli() -> click.Group:
    """A fresh click group with the ``inspect`` command registered."""
    group = click.Group()
    register(group)
    return group


def _run(cli: click.Group, config: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["inspect", *args], env={"ROLLBACK_BOT_CONFIG": str(config)})


def test_cli_table_defaults_to_prod(emulator: AzureEmulator, cli: click.Group, tmp_path: Path) -> None:
    result = _run(cli, write_config(tmp_path, _config_text(emulator)), "pharmabot")
    assert result.exit_code == 0, result.output
    assert "pharmabot-prod--v2" in result.output and "alias drugs -> index drugs-v2" in result.output


def test_cli_json(emulator: AzureEmulator, cli: click.Group, tmp_path: Path) -> None:
    result = _run(cli, write_config(tmp_path, _config_text(emulator)), "pharmabot", "--env", "staging", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["container_app"]["name"] == "pharmabot-staging"
    assert data["postgres"]["server"] == "pharmabot-db-staging"


def test_cli_single_environment_is_the_default(emulator: AzureEmulator, cli: click.Group, tmp_path: Path) -> None:
    result = _run(cli, write_config(tmp_path, _config_text(emulator, envs=("staging",))), "pharmabot", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["container_app"]["name"] == "pharmabot-staging"


def test_cli_exit_1_when_a_component_fails(emulator: AzureEmulator, cli: click.Group, tmp_path: Path) -> None:
    emulator.faults.fail_next(1, 404, path_contains="/aliases")
    result = _run(cli, write_config(tmp_path, _config_text(emulator)), "pharmabot", "--json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert "error" in data["search"] and data["container_app"]["name"] == "pharmabot-prod"


@pytest.mark.parametrize(
    ("args", "envs", "message"),
    [
        (("nope",), ("prod", "staging"), "unknown service 'nope' (services: pharmabot)"),
        (
            ("pharmabot", "--env", "qa"),
            ("prod", "staging"),
            "unknown environment 'qa'; choose one with --env (prod, staging)",
        ),
        (("pharmabot",), ("staging", "qa"), "several environments; choose one with --env (staging, qa)"),
    ],
)
def test_cli_usage_errors_exit_2(
    emulator: AzureEmulator,
    cli: click.Group,
    tmp_path: Path,
    args: tuple[str, ...],
    envs: tuple[str, ...],
    message: str,
) -> None:
    result = _run(cli, write_config(tmp_path, _config_text(emulator, envs=envs)), *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_cli_config_error_exit_2(cli: click.Group, tmp_path: Path) -> None:
    text = "azure: {credential: emulator}\nservices: [{name: svc, environments: [{name: prod}]}]\n"
    result = _run(cli, write_config(tmp_path, text), "svc")
    assert result.exit_code == 2
    assert "loopback" in result.stderr


def test_cli_is_registered_on_the_main_group_when_available() -> None:
    main = pytest.importorskip("bot.cli").main
    if "inspect" not in main.commands:
        pytest.skip("bot.cli.main does not register the inspect command yet")
    assert main.commands["inspect"].name == "inspect"
