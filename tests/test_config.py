"""The configuration contract: validation with file + key path, ${ENV} references, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.bootstrap import build_catalog
from bot.cli import main
from bot.config import load_settings
from bot.errors import ConfigError
from bot.kinds.builtin import BUILTIN

EXAMPLE = Path(__file__).resolve().parents[1] / "rollback-bot.example.yaml"
ENV = {"PHARMABOT_DB_URL": "postgresql://app@db/pharmabot"}


def test_example_config_is_valid() -> None:
    cfg = BUILTIN.load_config(EXAMPLE, env=ENV)
    env = cfg.environment("pharmabot", "prod")
    assert env is not None
    assert env.container_app is not None and env.container_app.name == "pharmabot-prod"
    assert env.prompts is not None and env.prompts.database_url.reveal() == ENV["PHARMABOT_DB_URL"]
    assert str(env.prompts.database_url) == "***" and ENV["PHARMABOT_DB_URL"] not in repr(cfg)
    assert env.approvers.usergroup == "S0APPROVERS"
    assert env.checklist.backup_max_age_hours == 24
    assert env.drift.interval_minutes == 15 and env.block("postgres").migrations is not None  # type: ignore[union-attr]
    assert env.deploy.steps == (5, 25, 100) and env.deploy.health_attempts == 12 and not env.deploy.require_checklist


def test_the_deploy_channel_defaults_to_the_checklist_channel_and_drift_prefers_it() -> None:
    text = """
services:
  - name: api
    environments:
      - {name: a, checklist: {channel: C0CHECKS}}
      - {name: b, checklist: {channel: C0CHECKS}, deploy: {channel: C0DEPLOYS}}
      - {name: c, checklist: {channel: C0CHECKS}, deploy: {channel: C0DEPLOYS}, drift: {channel: C0DRIFT}}
"""
    catalog = build_catalog(BUILTIN.parse_config(text, file="c.yaml", env={}))
    a, b, c = catalog.environments
    assert (a.deploy_channel, a.drift_channel) == ("C0CHECKS", "C0CHECKS")
    assert (b.deploy_channel, b.drift_channel) == ("C0DEPLOYS", "C0DEPLOYS")
    assert (c.deploy_channel, c.drift_channel) == ("C0DEPLOYS", "C0DRIFT")
    assert a.deploy.steps == (100,) and a.deploy.step_seconds == 60 and a.deploy.health_interval_seconds == 5
    assert a.deploy.max_error_rate_ratio == 1.5


def test_minimal_service_with_only_a_container_app() -> None:
    text = """
services:
  - name: api
    environments:
      - name: prod
        container_app: {subscription_id: s, resource_group: rg, name: api}
"""
    cfg = BUILTIN.parse_config(text, file="c.yaml", env={})
    env = cfg.environment("api", "prod")
    assert env is not None and env.openai is None and env.approval_ttl_minutes == 15


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "services:\n  - name: api\n    environments:\n      - name: prod\n"
            "        container_app: {subscription_id: s, name: a}\n",
            "c.yaml: services[0].environments[0].container_app.resource_group: Field required",
        ),
        (
            "services:\n  - name: api\n    environments:\n      - name: prod\n        contaner_app: {}\n",
            "c.yaml: services[0].environments[0].contaner_app: Extra inputs are not permitted",
        ),
        ("azure: {cloud: mars}\n", "c.yaml: azure.cloud: Input should be 'public', 'china' or 'usgov'"),
        (
            "services:\n  - name: api\n    environments: []\n",
            "c.yaml: services[0].environments: Tuple should have at least 1 item",
        ),
        (
            "services:\n  - name: Bad Name\n    environments: [{name: prod}]\n",
            "c.yaml: services[0].name: String should match pattern",
        ),
        (
            "services:\n  - {name: a, environments: [{name: p}]}\n  - {name: a, environments: [{name: p}]}\n",
            "duplicate service name(s): a",
        ),
        (
            "services:\n  - {name: a, environments: [{name: p, incident_channels: [general]}]}\n",
            "services[0].environments[0].incident_channels: Value error, 'general' is neither a channel id",
        ),
        (
            "services:\n  - {name: a, environments: [{name: p, checklist: {schedule: 'every day'}}]}\n",
            "checklist.schedule: Value error, must be a 5-field cron expression",
        ),
        (
            "services:\n  - {name: a, environments: [{name: p, drift: {interval_minutes: -1}}]}\n",
            "drift.interval_minutes: Input should be greater than or equal to 0",
        ),
        (
            "services:\n  - {name: a, environments: [{name: p, postgres: {subscription_id: s, resource_group: r,"
            " server: d, migrations: {database_url: x, version_table: 'v; drop table t'}}}]}\n",
            "postgres.migrations.version_table: String should match pattern",
        ),
        (
            "services:\n  - {name: a, environments: [{name: p, deploy: {steps: [25, 5, 100]}}]}\n",
            "deploy.steps: Value error, canary steps must rise and end with 100",
        ),
        (
            "services:\n  - {name: a, environments: [{name: p, deploy: {steps: [5, 50]}}]}\n",
            "deploy.steps: Value error, canary steps must rise and end with 100",
        ),
        (
            "services:\n  - {name: a, environments: [{name: p, deploy: {health_attempts: 0}}]}\n",
            "deploy.health_attempts: Input should be greater than or equal to 1",
        ),
        (
            "services:\n  - {name: a, environments: [{name: p, deploy: {channel: deploys}}]}\n",
            "deploy.channel: String should match pattern",
        ),
        (
            "services:\n  - {name: a, environments: [{name: p, deploy: {hold: 3}}]}\n",
            "deploy.hold: Extra inputs are not permitted",
        ),
        ("- just\n- a list\n", "c.yaml: (top level): must be a mapping"),
        ("services: [unclosed\n", "c.yaml: not valid YAML"),
    ],
)
def test_bad_config_names_file_and_key_path(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        BUILTIN.parse_config(text, file="c.yaml", env={})
    assert expected in err.value.user_message


def test_env_reference_must_be_set() -> None:
    text = "services:\n  - {name: a, environments: [{name: p, prompts: {database_url: '${NOPE_URL}'}}]}\n"
    with pytest.raises(
        ConfigError,
        match=r"services\[0\]\.environments\[0\]\.prompts\.database_url: environment variable NOPE_URL is not set",
    ):
        BUILTIN.parse_config(text, file="c.yaml", env={})


@pytest.mark.parametrize(
    "block",
    [
        "prompts: {database_url: 'postgresql://app:hunter2@db/x'}",
        "search: {endpoint: 'https://s.search.windows.net', alias: a, api_key: 'literal-key'}",
        "postgres: {subscription_id: s, resource_group: r, server: d,"
        " migrations: {database_url: 'postgresql://app:hunter2@db/x'}}",
    ],
)
def test_inline_secrets_are_refused(block: str) -> None:
    text = f"services:\n  - {{name: a, environments: [{{name: p, {block}}}]}}\n"
    with pytest.raises(ConfigError, match="ENV_VAR") as err:
        BUILTIN.parse_config(text, file="c.yaml", env={})
    assert "hunter2" not in err.value.user_message and "literal-key" not in err.value.user_message


def test_expanded_values_are_secrets_end_to_end() -> None:
    text = (
        "services:\n  - {name: a, environments: [{name: p, container_app: {subscription_id: s, resource_group: r,"
        " name: a, health_url: 'https://{fqdn}{path}?code=${HEALTH_KEY}'}}]}\n"
    )
    cfg = BUILTIN.parse_config(text, file="c.yaml", env={"HEALTH_KEY": "k3y-v4lue-42"})
    env = cfg.environment("a", "p")
    assert env is not None and env.container_app is not None
    url = env.container_app.health_url
    assert url.reveal() == "https://{fqdn}{path}?code=k3y-v4lue-42"
    assert str(url) == f"{url}" == "https://{fqdn}{path}?code=***" and "k3y" not in repr(cfg)
    assert url.as_shell() == "https://{fqdn}{path}?code=${HEALTH_KEY}"
    assert "k3y" not in cfg.model_dump_json()
    assert url.format(fqdn="app.example", path="/h").reveal() == "https://app.example/h?code=k3y-v4lue-42"


def test_a_reference_where_no_secret_belongs_is_refused_without_its_value() -> None:
    block = "postgres: {subscription_id: '${SUB}', resource_group: r, server: s}"
    text = f"services:\n  - {{name: a, environments: [{{name: p, {block}}}]}}\n"
    with pytest.raises(ConfigError) as err:
        BUILTIN.parse_config(text, file="c.yaml", env={"SUB": "0000-sub-value"})
    message = err.value.user_message
    assert "postgres.subscription_id: takes no ${VAR} reference" in message and "0000-sub-value" not in message


def test_settings_defaults_and_redaction() -> None:
    s = load_settings({"DATABASE_URL": "postgresql://bot:s3cret@db/bot", "SLACK_BOT_TOKEN": "xoxb-secret"})
    assert s.port == 3000 and s.slack_api_url == "https://slack.com/api/"
    assert str(s.config_path) == "rollback-bot.yaml" and not s.config_path_explicit
    assert not s.slack_configured
    assert "s3cret" not in repr(s) and "xoxb-secret" not in repr(s)
    s2 = load_settings({"SLACK_API_URL": "http://127.0.0.1:9/api", "PORT": "8080"})
    assert s2.slack_api_url == "http://127.0.0.1:9/api/" and s2.port == 8080


def test_config_check_cli(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("services:\n  - {name: api, environments: [{name: prod}]}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("services:\n  - {name: api, environments: [{name: prod, approval_ttl_minutes: 0}]}\n")
    runner = CliRunner()
    ok = runner.invoke(main, ["config", "check", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "OK (1 services, 1 environments)" in ok.output
    res = runner.invoke(main, ["config", "check", str(bad)])
    assert res.exit_code == 2
    assert "services[0].environments[0].approval_ttl_minutes" in res.output
    missing = runner.invoke(main, ["config", "check", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "cannot read the configuration file" in missing.output
