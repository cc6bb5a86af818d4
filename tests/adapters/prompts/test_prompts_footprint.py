"""The bot's footprint in the application's database: nothing until `prompts init`, and all of it reversible.

`serve` and every other command leave the application's schema exactly as they found it; `prompts init`
adds the guards; `prompts uninstall --drop-history` brings the schema back to exactly what it was; when
the guards go missing the bot says so (at start, in the checklist, on a rollback) with the command that
restores them.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from bot.adapters.db.engine import make_engine
from bot.adapters.prompts import SqlPromptStore, upgrade_prompts_db
from bot.bootstrap import build_runtime
from bot.cli import main
from bot.config import load_settings
from bot.domain.kinds import PROMPT
from bot.domain.rollback_requests import ServiceEnv
from bot.errors import NotAllowedError, StoreError
from bot.kinds.builtin import BUILTIN
from tests.harness.schema_dump import schema_dump

from .conftest import create_app_table

PROD = ServiceEnv("pharmabot", "prod")
RESTORE = "rollback-bot prompts init --service pharmabot --env prod"
CONFIG = """
services:
  - name: pharmabot
    environments:
      - name: prod
        prompts: {database_url: "${APP_DB_URL}", table: system_prompts}
"""


class Bot:
    """The CLI against a bot database of its own and the application's database under test."""

    def __init__(self, app_url: str, tmp_path: Path) -> None:
        self.config = tmp_path / "rollback-bot.yaml"
        self.config.write_text(CONFIG)
        self.env = {
            "APP_DB_URL": app_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            "ROLLBACK_BOT_CONFIG": str(self.config),
            "SLACK_BOT_TOKEN": "",
        }

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=self.env)

    def serve_start_and_stop(self) -> None:
        """What `serve` does before and after serving: build the runtime, start its background work, close."""
        settings = load_settings(self.env)
        runtime = build_runtime(settings, BUILTIN.load_config(self.config, env=self.env), slack_app=False)
        runtime.start_background()
        runtime.close()


@pytest.fixture
def bot(db_url: str, tmp_path: Path) -> Bot:
    return Bot(db_url, tmp_path)


def test_serve_and_every_command_leave_the_app_schema_unchanged_until_prompts_init(bot: Bot, engine: Engine) -> None:
    create_app_table(engine)
    before = schema_dump(engine)
    assert bot("db", "upgrade").exit_code == 0
    bot.serve_start_and_stop()
    commands = [
        ["requests", "list"],
        ["checklist", "pharmabot", "--json"],
        ["drill", "pharmabot"],
        ["inspect", "pharmabot"],
        ["prompts", "list"],
        ["prompts", "history", "greeting"],
        ["prompts", "activate", "greeting", "1", "--reason", "try"],
    ]
    results = {" ".join(c[:2]): bot(*c) for c in commands}
    assert schema_dump(engine) == before
    item2 = json.loads(results["checklist pharmabot"].stdout)["reports"][0]["checks"][1]
    assert item2["key"] == "rollback_command" and item2["status"] == "fail", item2
    assert RESTORE in " ".join(item2["evidence"])
    assert RESTORE in results["prompts activate"].stderr
    assert bot("prompts", "init").exit_code == 0
    assert schema_dump(engine) != before


@pytest.mark.parametrize("history_rows", [0, 2])
def test_uninstall_drop_history_brings_back_exactly_the_schema_before_init(
    bot: Bot, engine: Engine, history_rows: int
) -> None:
    create_app_table(engine)
    before = schema_dump(engine)
    init = bot("prompts", "init")
    assert init.exit_code == 0 and "guards installed on system_prompts" in init.stdout
    for version in range(history_rows):
        assert bot("prompts", "activate", "greeting", str(version % 2 + 1), "--reason", "r").exit_code == 0
    uninstalled = bot("prompts", "uninstall", "--drop-history")
    assert uninstalled.exit_code == 0, uninstalled.output
    baseline = 2  # init records the versions active then (greeting v2, triage v1)
    assert f"dropped the activation history table system_prompts_activations ({baseline + history_rows} rows)" in (
        uninstalled.stdout
    )
    assert schema_dump(engine) == before


def test_uninstall_keeps_the_history_and_says_so_and_init_continues_it(bot: Bot, engine: Engine) -> None:
    create_app_table(engine)
    before = schema_dump(engine)
    bot("prompts", "init")
    assert bot("prompts", "activate", "greeting", "1", "--reason", "rollback").exit_code == 0
    kept = bot("prompts", "uninstall")
    assert "kept the activation history table system_prompts_activations (3 rows)" in kept.stdout
    assert "`prompts uninstall --drop-history`" in kept.stdout and RESTORE in kept.stdout
    after = schema_dump(engine)
    assert after != before and {k: [r for r in v if "activations" not in str(r)] for k, v in after.items()} == before
    assert bot("prompts", "init").exit_code == 0
    lines = bot("prompts", "history", "greeting").stdout.splitlines()
    assert "2 -> 1  cli:" in lines[0] and "rollback-bot prompts init" in lines[1]
    assert bot("prompts", "uninstall", "--drop-history").exit_code == 0
    assert schema_dump(engine) == before


def test_a_table_the_app_recreates_loses_its_guards_and_the_bot_says_how_to_restore_them(
    bot: Bot, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    create_app_table(engine)
    bot("prompts", "init")
    with engine.begin() as conn:  # the application's ORM drops and re-creates its table
        conn.execute(text("DROP TABLE system_prompts"))
    create_app_table(engine)
    store = SqlPromptStore(engine, init_command=RESTORE)
    status = store.guards()
    one_active = "deferred constraint" if engine.dialect.name == "postgresql" else "unique index"
    assert not status.ok and f"{one_active} system_prompts_one_active" in status.message()
    assert "trigger system_prompts_no_update" in status.message() and RESTORE in status.message()
    with pytest.raises(NotAllowedError, match=RESTORE):
        store.activate("greeting", 1, actor="U1", reason="rollback")
    settings = load_settings(bot.env)
    bot("db", "upgrade")
    with caplog.at_level(logging.ERROR, logger="rollback_bot.bootstrap"):
        runtime = build_runtime(settings, BUILTIN.load_config(bot.config, env=bot.env), slack_app=False)
    try:
        plan = runtime.deps.environment(PROD).bound(PROMPT).plan()
    finally:
        runtime.close()
    assert not plan.executable and RESTORE in (plan.blocked_reason or "")
    assert any(RESTORE in r.getMessage() for r in caplog.records)
    repaired = bot("prompts", "init")
    assert repaired.exit_code == 0 and "guards installed" in repaired.stdout
    assert store.guards().ok
    assert store.activate("greeting", 1, actor="U1", reason="rollback").from_version == 2


@contextmanager
def as_role(postgres_url: str, owner: Engine, schema_rights: str, table_rights: str) -> Iterator[Engine]:
    """An engine on the same schema that acts as a fresh role with only the rights given (dropped afterwards)."""
    role = f"rb_app_{uuid.uuid4().hex[:10]}"
    with owner.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        conn.execute(text(f'CREATE ROLE "{role}"'))
        conn.execute(text(f'GRANT {schema_rights} ON SCHEMA "{schema}" TO "{role}"'))
        conn.execute(text(f'GRANT {table_rights} ON system_prompts TO "{role}"'))
    limited = make_engine(postgres_url.replace("options=", f"options=-crole%3D{role}%20"))
    try:
        yield limited
    finally:
        limited.dispose()
        with owner.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))


def test_init_by_a_role_that_does_not_own_the_table_names_the_privilege(postgres_url: str, engine: Engine) -> None:
    create_app_table(engine)
    before = schema_dump(engine)
    refused = pytest.raises(StoreError, match=r"lacks a privilege: the role must own the table.*must be owner")
    with as_role(postgres_url, engine, "USAGE, CREATE", "SELECT, INSERT, UPDATE") as limited, refused:
        upgrade_prompts_db(limited, "system_prompts")
    assert schema_dump(engine) == before


def test_the_app_role_needs_no_rights_on_what_init_added(postgres_url: str, engine: Engine) -> None:
    """The triggers run as the table's owner: an application role with rights on its own table only still
    activates (and it is recorded), and is refused what the guards refuse."""
    create_app_table(engine)
    upgrade_prompts_db(engine, "system_prompts")
    with as_role(postgres_url, engine, "USAGE", "SELECT, INSERT, UPDATE, DELETE") as app:
        with app.begin() as conn:
            conn.execute(text("UPDATE system_prompts SET is_active = false WHERE name = 'greeting'"))
            conn.execute(text("UPDATE system_prompts SET is_active = true WHERE name = 'greeting' AND version = 1"))
        with pytest.raises(DBAPIError, match="keeps its content"), app.begin() as conn:
            conn.execute(text("UPDATE system_prompts SET content = 'x' WHERE name = 'greeting' AND version = 1"))
    latest = SqlPromptStore(engine).history("greeting")[0]
    assert (latest.from_version, latest.to_version, latest.actor.startswith("db:")) == (2, 1, True)
