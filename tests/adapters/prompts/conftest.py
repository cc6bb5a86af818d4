"""Fixtures of the prompt registry tests: an engine per database, a migrated store, an app-made table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from bot.adapters.db.engine import make_engine
from bot.adapters.prompts import SqlPromptStore, upgrade_prompts_db
from sandbox.demo import create_app_prompts_table
from tests.conftest import FrozenClock

APP_ROWS = [
    # (version, name, content, is_active)
    (1, "greeting", "Hello v1", False),
    (2, "greeting", "Hello v2", True),
    (1, "triage", "Triage v1", True),
]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def store(engine: Engine, clock: FrozenClock) -> SqlPromptStore:
    create_app_prompts_table(engine)
    upgrade_prompts_db(engine, "system_prompts")
    return SqlPromptStore(engine, "system_prompts", clock=clock)


def create_app_table(
    engine: Engine, table: str = "system_prompts", rows: list[tuple[int, str, str, bool]] = APP_ROWS
) -> None:
    """The table as applications already have it: no key, no guards, naive timestamps."""
    with engine.begin() as conn:
        columns = "version INTEGER, name TEXT, content TEXT, is_active BOOLEAN, created_at TIMESTAMP"
        conn.execute(text(f"CREATE TABLE {table} ({columns})"))
        for version, name, content, active in rows:
            conn.execute(
                text(f"INSERT INTO {table} VALUES (:v, :n, :c, :a, :t)"),
                {"v": version, "n": name, "c": content, "a": active, "t": datetime(2026, 1, 2, 3, 4, 5)},
            )


def active_count(engine: Engine, name: str, table: str = "system_prompts") -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE name = :n AND is_active = :yes"), {"n": name, "yes": True}
            ).scalar_one()
        )


def seed(store: SqlPromptStore, name: str = "greeting", count: int = 4) -> None:
    for i in range(1, count + 1):
        store.add(name, f"{name} text {i}", actor="tester")


UTC_NOON = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
