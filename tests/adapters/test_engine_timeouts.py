"""Every engine the bot creates is bounded in time: connect, statement and lock timeouts (busy timeout on SQLite)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, text

from bot.adapters.db.engine import DatabaseHealth, make_engine
from bot.errors import StoreError
from tests.harness.net import HungServer


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _settings(engine: Engine, *names: str) -> list[str]:
    with engine.connect() as conn:
        return [str(conn.execute(text(f"SHOW {name}")).scalar()) for name in names]


def test_every_connection_has_statement_and_lock_timeouts(engine: Engine, db_url: str) -> None:
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        return
    assert _settings(engine, "statement_timeout", "lock_timeout") == ["30s", "10s"]
    # The URL's own options still apply (the test schema's search_path comes from them).
    assert _settings(engine, "search_path")[0].startswith("t_")


def test_a_timeout_set_by_the_operator_wins(postgres_url: str) -> None:
    url = f"{postgres_url}{quote(' -c statement_timeout=7000')}"
    engine = make_engine(url)
    try:
        assert _settings(engine, "statement_timeout", "lock_timeout") == ["7s", "10s"]
    finally:
        engine.dispose()


def test_a_long_statement_is_cut_by_the_statement_timeout(postgres_url: str) -> None:
    engine = make_engine(f"{postgres_url}{quote(' -c statement_timeout=300')}")
    try:
        with pytest.raises(Exception, match="statement timeout"), engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(5)"))
    finally:
        engine.dispose()


def test_a_database_that_accepts_and_never_answers_fails_within_the_connect_timeout() -> None:
    hung = HungServer()
    engine = make_engine(f"postgresql://rollback@127.0.0.1:{hung.port}/bot")
    started = time.monotonic()
    try:
        with pytest.raises(StoreError, match=r"database unreachable: OperationalError: .*timeout"):
            DatabaseHealth(engine).ping()
        assert time.monotonic() - started < 15  # 5 s connect timeout, generously bounded for a loaded machine
    finally:
        engine.dispose()
        hung.close()
