"""Shared fixtures: databases (SQLite and PostgreSQL, isolated per test), clocks, configuration."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.harness.world import World, started_world

POSTGRES_URL = os.environ.get("ROLLBACK_BOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("ROLLBACK_BOT_REQUIRE_POSTGRES") == "1"
_pg_state: dict[str, str | None] = {}


def _postgres_unavailable() -> str | None:
    """None when PostgreSQL answers, else why not (checked once per process)."""
    if "reason" not in _pg_state:
        try:
            engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _pg_state["reason"] = None
        except OperationalError as exc:
            _pg_state["reason"] = f"PostgreSQL not reachable at {POSTGRES_URL}: {str(exc.orig).splitlines()[0]}"
    return _pg_state["reason"]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, or a private schema in the shared PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'bot.db'}"
        return
    yield from _postgres_schema()


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """Like ``db_url``, for a test that needs several fresh databases of one kind in a row."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="rollback-bot-db-")
        try:
            yield f"sqlite:///{folder}/bot.db"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    with contextmanager(_postgres_schema)() as url:
        yield url


def _postgres_schema() -> Iterator[str]:
    reason = _postgres_unavailable()
    if reason:
        if REQUIRE_POSTGRES:
            pytest.fail(reason)
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def postgres_url(db_url: str) -> str:
    """Only the PostgreSQL flavour of ``db_url`` (the SQLite one is skipped)."""
    if db_url.startswith("sqlite"):
        pytest.skip("needs PostgreSQL")
    return db_url


class FrozenClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def world(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Slack fake, Azure emulator, prompts DB and the real bot over HTTP (tests/harness/world.py)."""
    yield from started_world(db_url, tmp_path_factory)
