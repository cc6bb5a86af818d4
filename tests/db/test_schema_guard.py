"""Only `db upgrade` and `serve` migrate; every command refuses an unmigrated or newer schema in one line, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import inspect, text

from bot.adapters.db import migrate
from bot.adapters.db.engine import make_engine
from bot.cli import main

NEWER = "0999_from_a_newer_bot"
READ_OR_RECORD = [
    ["requests", "list"],
    ["requests", "show", "1"],
    ["checklist", "--all"],
    ["drill", "api"],
    ["serve", "--no-migrate", "--port", "0"],
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


@pytest.mark.parametrize(
    "args",
    [*READ_OR_RECORD, ["serve", "--port", "0"], ["db", "upgrade"], ["db", "downgrade", "0001"], ["db", "current"]],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_schema_newer_than_the_bot_is_one_clear_line_and_exit_2(db_url: str, tmp_path: Path, args: list[str]) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": NEWER})
    engine.dispose()
    result = _run(args, db_url, tmp_path)
    assert result.exit_code == 2, result.output
    line = f"error: database is at revision {NEWER}, this bot knows up to {migrate.head_revision()}; upgrade the bot"
    assert line in result.output.splitlines()
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_serve_no_migrate_starts_on_a_database_db_upgrade_migrated(tmp_path: Path) -> None:
    """The separate-step deployment: `db upgrade` as a job, then `serve --no-migrate`."""
    db_url = f"sqlite:///{tmp_path / 'bot.db'}"
    assert _run(["db", "upgrade"], db_url, tmp_path).exit_code == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ROLLBACK_BOT_CONFIG"))}
    env["DATABASE_URL"] = db_url
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--no-migrate", "--port", "0", "--host", "127.0.0.1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = next(line for line in proc.stdout if "listening on" in line or "error" in line)
        assert "listening on http://127.0.0.1:" in first, first
    finally:
        proc.terminate()
        proc.wait(timeout=10)
