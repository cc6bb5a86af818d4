"""Replicas starting at once migrate once: the migration lock (PostgreSQL advisory lock, SQLite's writer lock).

Before the lock, two replicas on a fresh or older PostgreSQL database died on a duplicate table, type
or column in most runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.adapters.db import migrate
from bot.adapters.db.engine import make_engine
from bot.adapters.prompts import SqlPromptStore
from sandbox.demo import create_app_prompts_table
from tests.conftest import fresh_database
from tests.harness.replicas import prompts_init, serve_start, start_at_once


@contextmanager
def _database(kind: str, older: str | None) -> Iterator[str]:
    with fresh_database(kind) as url:
        if older:
            engine = make_engine(url)
            migrate.upgrade(engine, older)
            engine.dispose()
        yield url


def _race(kind: str, older: str | None, attempts: int) -> None:
    for replicas in (2, 4):
        for attempt in range(attempts):
            with _database(kind, older) as url:
                ran = start_at_once(serve_start, url, replicas)
                engine = make_engine(url)
                at = migrate.current_revision(engine)
                engine.dispose()
            assert ran.count(True) == 1, f"{replicas} replicas, attempt {attempt + 1}: {ran}"
            assert at == migrate.head_revision()


@pytest.mark.slow
def test_two_then_four_replicas_on_a_fresh_postgres_all_start_and_migrate_once_10_of_10() -> None:
    _race("postgresql", None, attempts=10)


@pytest.mark.slow
def test_replicas_upgrading_postgres_from_an_older_revision_all_start_and_migrate_once() -> None:
    _race("postgresql", "0001", attempts=3)


@pytest.mark.parametrize("older", [None, "0001"], ids=["fresh", "from-0001"])
def test_replicas_on_one_sqlite_file_all_start_and_migrate_once(older: str | None) -> None:
    _race("sqlite", older, attempts=3)


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_prompts_init_run_by_four_processes_at_once_installs_the_guards_once(kind: str) -> None:
    for _attempt in range(3):
        with fresh_database(kind) as url:
            engine = make_engine(url)
            create_app_prompts_table(engine)
            ran = start_at_once(prompts_init, url, 4)
            ok = SqlPromptStore(engine).guards().ok
            engine.dispose()
        assert ran.count(True) == 1 and ok, ran
