"""Exactly one active version at every instant, and concurrent writers, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import Engine, text

from bot.adapters.prompts import SqlPromptStore
from bot.domain.prompts import PromptActivation
from bot.errors import StalePlanError, UsageError

from .conftest import active_count, seed

COUNT_ACTIVE = text("SELECT count(*) FROM system_prompts WHERE name = :n AND is_active = :yes")
SWITCHES = 50


def _poll(engine: Engine, seen: Counter[int], started: threading.Event, stop: threading.Event) -> None:
    """Count active rows in a tight loop on a connection of its own, each read seeing the latest commit."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        while not stop.is_set():
            seen[conn.execute(COUNT_ACTIVE, {"n": "greeting", "yes": True}).scalar_one()] += 1
            started.set()


def test_a_reader_never_sees_zero_or_two_active_versions(store: SqlPromptStore, engine: Engine) -> None:
    seed(store, count=2)
    store.activate("greeting", 1, actor="t", reason="start")
    seen: Counter[int] = Counter()
    started, stop = threading.Event(), threading.Event()
    reader = threading.Thread(target=_poll, args=(engine, seen, started, stop))
    reader.start()
    try:
        assert started.wait(10)
        for i in range(SWITCHES):
            store.activate("greeting", 2 if i % 2 == 0 else 1, actor="t", reason=f"switch {i}")
    finally:
        stop.set()
        reader.join(10)
    assert set(seen) == {1}, f"a reader saw {dict(seen)} active versions"
    assert seen[1] >= SWITCHES  # the reader really ran alongside the switches
    assert len(store.history("greeting", limit=100)) == SWITCHES + 1


def _race(store: SqlPromptStore, targets: list[int], expected: int | None) -> list[PromptActivation | Exception]:
    barrier = threading.Barrier(len(targets))
    results: list[PromptActivation | Exception] = []

    def run(version: int) -> None:
        barrier.wait()
        try:
            results.append(
                store.activate("greeting", version, actor=f"U{version}", reason="race", expected_active=expected)
            )
        except (StalePlanError, UsageError) as exc:
            results.append(exc)

    threads = [threading.Thread(target=run, args=(v,)) for v in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    return results


def test_concurrent_activations_serialize_and_leave_one_active(store: SqlPromptStore, engine: Engine) -> None:
    seed(store, count=3)
    store.activate("greeting", 1, actor="t", reason="start")
    for _ in range(5):
        results = _race(store, [2, 3], expected=None)
        assert len(results) == 2 and any(isinstance(r, PromptActivation) for r in results)
        assert active_count(engine, "greeting") == 1
        last = store.history("greeting")[0]
        assert store.active("greeting").version == last.to_version  # type: ignore[union-attr]
        store.activate("greeting", 1, actor="t", reason="reset")


def test_concurrent_activations_from_the_same_plan_let_exactly_one_win(store: SqlPromptStore, engine: Engine) -> None:
    seed(store, count=3)
    store.activate("greeting", 1, actor="t", reason="start")
    for _ in range(5):
        results = _race(store, [2, 3], expected=1)
        won = [r for r in results if isinstance(r, PromptActivation)]
        lost = [r for r in results if isinstance(r, StalePlanError)]
        assert len(won) == 1 and len(lost) == 1, results
        assert store.active("greeting").version == won[0].to_version  # type: ignore[union-attr]
        assert active_count(engine, "greeting") == 1
        store.activate("greeting", 1, actor="t", reason="reset")


def test_concurrent_adds_get_distinct_versions(store: SqlPromptStore) -> None:
    barrier = threading.Barrier(3)

    def add_some() -> None:
        barrier.wait()
        for _ in range(4):
            store.add("greeting", "text", actor="t")

    threads = [threading.Thread(target=add_some) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert [v.version for v in store.versions("greeting")] == list(range(12, 0, -1))
