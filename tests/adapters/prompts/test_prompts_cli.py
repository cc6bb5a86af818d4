"""`rollback-bot prompts …` through click's runner, against SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from bot.adapters.db.engine import make_engine
from bot.cli.prompts import register
from sandbox.demo import create_app_prompts_table

CONFIG = """
services:
  - name: pharmabot
    environments:
      - name: prod
        prompts: {database_url: "${PROMPTS_DB_URL}", table: agent_prompts}
      - name: staging
  - name: other
    environments:
      - name: prod
"""


@pytest.fixture
def cli(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    config = tmp_path / "rollback-bot.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    group = click.Group()
    register(group)
    runner = CliRunner()
    env = {"ROLLBACK_BOT_CONFIG": str(config), "PROMPTS_DB_URL": db_url, "USER": "alice"}

    def run(*args: str, ok: bool = True) -> Result:
        result = runner.invoke(group, ["prompts", *args], env=env)
        if ok:
            assert result.exit_code == 0, (result.output, result.stderr, result.exception)
        return result

    engine = make_engine(db_url)
    create_app_prompts_table(engine, "agent_prompts")  # the application's table; init never creates it
    engine.dispose()
    run("init", "--service", "pharmabot", "--env", "prod")
    return run


def test_add_list_show_activate_history(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("add", "greeting", "--text", "Hello v1").stdout == "added greeting version 1 (inactive)\n"
    prompt_file = tmp_path / "v2.txt"
    prompt_file.write_text("Hello v2\nsecond line\n", encoding="utf-8")
    assert "version 2" in cli("add", "greeting", "--file", str(prompt_file), "--service", "pharmabot").stdout
    assert (
        cli("activate", "greeting", "2", "--reason", "release").stdout == "greeting: version 2 is active (was none)\n"
    )
    assert cli("activate", "greeting", "1", "--reason", "bad answers", "--actor", "U123").stdout.endswith("(was 2)\n")

    listing = cli("list").stdout.splitlines()
    assert listing[0].split() == ["NAME", "ACTIVE", "VERSIONS"] and listing[1].split() == ["greeting", "1", "2"]
    assert json.loads(cli("list", "--json").stdout) == [{"name": "greeting", "active": 1, "versions": 2}]

    assert cli("show", "greeting").stdout == "Hello v1\n"
    assert cli("show", "greeting", "--version", "2").stdout == "Hello v2\nsecond line\n\n"
    shown = json.loads(cli("show", "greeting", "--json").stdout)
    assert shown["version"] == 1 and shown["is_active"] is True and shown["created_at"].endswith("+00:00")

    lines = cli("history", "greeting").stdout.splitlines()
    assert "2 -> 1  U123  bad answers" in lines[0] and "- -> 2  cli:alice  release" in lines[1]
    entries = json.loads(cli("history", "greeting", "--json", "--limit", "1").stdout)
    assert [(e["from_version"], e["to_version"], e["actor"]) for e in entries] == [(2, 1, "U123")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "nope"], "there is no prompt named 'nope'"),
        (["show", "greeting", "--version", "9"], "prompt 'greeting' has no version 9 (newest is 1)"),
        (["activate", "greeting", "9", "--reason", "r"], "has no version 9"),
        (["activate", "nope", "1", "--reason", "r"], "no prompt named 'nope'"),
        (["history", "nope"], "no prompt named 'nope'"),
        (["show", "greeting"], "has no active version; pass --version"),
        (["add", "greeting"], "exactly one of --file or --text"),
        (["list", "--service", "ghost"], "unknown service 'ghost'"),
        (["list", "--service", "pharmabot", "--env", "qa"], "has no environment 'qa'"),
        (["list", "--service", "other"], "no `prompts` block configured for other"),
    ],
)
def test_errors_exit_2_with_a_clear_message(cli, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    cli("add", "greeting", "--text", "Hello v1")
    result = cli(*args, ok=False)
    assert result.exit_code == 2
    assert result.stderr == f"error: {message}\n" or message in result.stderr
    assert "Traceback" not in result.output


def test_several_environments_with_prompts_need_an_explicit_choice(db_url: str, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        CONFIG.replace(
            "      - name: staging", '      - name: staging\n        prompts: {database_url: "${PROMPTS_DB_URL}"}'
        )
    )
    group = click.Group()
    register(group)
    result = CliRunner().invoke(
        group, ["prompts", "list"], env={"ROLLBACK_BOT_CONFIG": str(config), "PROMPTS_DB_URL": db_url}
    )
    assert result.exit_code == 2
    assert "several environments have prompts (pharmabot/prod, pharmabot/staging)" in result.stderr
