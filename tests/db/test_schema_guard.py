"""Only `db upgrade` and `serve` migrate; every command refuses an unmigrated or newer schema in one line, exit 2.

`serve` binds first and retries its database in the background: with `--no-migrate` on a database not yet
migrated it stays up, not ready, saying to run `db upgrade`, and becomes ready once that ran; on a schema
newer than it knows it exits 2 with the one line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import inspect, text

from bot.adapters.db import migrate
from bot.adapters.db.engine import make_engine
from bot.cli import main
from tests.harness.serve import ServeProcess

NEWER = "0999_from_a_newer_bot"
READ_OR_RECORD = [
    ["requests", "list"],
    ["requests", "show", "1"],
    ["checklist", "--all"],
    ["drill", "api"],
    ["prune", "--dry-run"],
]


def _run(args: list[str], db_url: str, tmp_path: Path) -> Result:
    config = tmp_path / "rollback-bot.yaml"
    config.write_text("services: []\n")
    env = {"DATABASE_URL": db_url, "ROLLBACK_BOT_CONFIG": str(config), "SLACK_BOT_TOKEN": ""}
    return CliRunner().invoke(main, args, env=env)


def _tables(db_url: str) -> set[str]:
    engine = make_engine(db_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("args", READ_OR_RECORD, ids=lambda a: " ".join(a[:2]))
def test_commands_other_than_db_upgrade_and_serve_never_migrate(db_url: str, tmp_path: Path, args: list[str]) -> None:
    result = _run(args, db_url, tmp_path)
    assert result.exit_code == 2, result.output
    assert result.output.strip() == (
        "error: the database has no rollback-bot schema yet: run `rollback-bot db upgrade`"
    )
    assert _tables(db_url) == set()


def test_a_database_behind_this_bot_says_to_upgrade(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine, "0001")
    engine.dispose()
    result = _run(["requests", "list"], db_url, tmp_path)
    assert result.exit_code == 2
    head = migrate.head_revision()
    assert result.output.strip() == (
        f"error: the database is at revision 0001, this bot needs {head}: run `rollback-bot db upgrade`"
    )
    upgraded = _run(["db", "upgrade"], db_url, tmp_path).output.strip()
    assert upgraded == f"database at revision {head} (migrated from 0001)"
    assert _run(["requests", "list"], db_url, tmp_path).exit_code == 0
    assert _run(["db", "upgrade"], db_url, tmp_path).output.strip() == f"database at revision {head} (nothing to do)"


def _newer(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": NEWER})
    engine.dispose()


NEWER_LINE = f"database is at revision {NEWER}, this bot knows up to {migrate.head_revision()}; upgrade the bot"


@pytest.mark.parametrize(
    "args",
    [*READ_OR_RECORD, ["db", "upgrade"], ["db", "downgrade", "0001"], ["db", "current"]],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_schema_newer_than_the_bot_is_one_clear_line_and_exit_2(db_url: str, tmp_path: Path, args: list[str]) -> None:
    _newer(db_url)
    result = _run(args, db_url, tmp_path)
    assert result.exit_code == 2, result.output
    assert f"error: {NEWER_LINE}" in result.output.splitlines()
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("args", [[], ["--no-migrate"]], ids=["serve", "serve --no-migrate"])
def test_serve_on_a_schema_newer_than_it_knows_exits_2_with_the_line(tmp_path: Path, args: list[str]) -> None:
    db_url = f"sqlite:///{tmp_path / 'bot.db'}"
    _newer(db_url)
    bot = ServeProcess.start(tmp_path, {"DATABASE_URL": db_url}, *args)
    try:
        assert bot.wait() == 2
        assert f"error: {NEWER_LINE}" in bot.output().splitlines()
        assert "Traceback" not in bot.output()
    finally:
        bot.close()


def test_serve_no_migrate_waits_not_ready_until_db_upgrade_ran(tmp_path: Path) -> None:
    """The separate-step deployment: replicas with `--no-migrate` start while the `db upgrade` job runs."""
    db_url = f"sqlite:///{tmp_path / 'bot.db'}"
    bot = ServeProcess.start(tmp_path, {"DATABASE_URL": db_url}, "--no-migrate")
    try:
        bot.wait_for("run `rollback-bot db upgrade`")  # the start-up's log line, retried
        ready = bot.get("/health/ready")
        assert ready.status_code == 503 and "run `rollback-bot db upgrade`" in ready.json()["database"]
        assert _tables(db_url) == set()  # it never migrated
        assert _run(["db", "upgrade"], db_url, tmp_path).exit_code == 0
        assert bot.wait_ready().status_code == 200
    finally:
        bot.close()
