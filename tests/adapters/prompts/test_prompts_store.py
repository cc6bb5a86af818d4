"""SqlPromptStore on SQLite and PostgreSQL: versions, activation, history, errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, event, text

from bot.adapters.prompts import SqlPromptStore, upgrade_prompts_db
from bot.domain.prompts import PromptActivation
from bot.errors import NotFoundError, StalePlanError, StoreError, UsageError
from tests.conftest import FrozenClock

from .conftest import active_count, create_app_table, seed


def test_add_numbers_versions_per_name_and_keeps_them_inactive(store: SqlPromptStore, clock: FrozenClock) -> None:
    first = store.add("greeting", "one", actor="tester")
    clock.advance(minutes=1)
    second = store.add("greeting", "two", actor="tester")
    other = store.add("triage", "x", actor="tester")
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert not second.is_active and second.created_at == clock.now
    assert [v.version for v in store.versions("greeting")] == [2, 1]
    assert store.get("greeting", 1).content == "one"
    assert store.get("greeting", 2).created_at == clock.now
    assert store.names() == ["greeting", "triage"]
    assert store.active("greeting") is None


def test_add_continues_an_existing_app_table(engine: Engine) -> None:
    create_app_table(engine)
    upgrade_prompts_db(engine, "system_prompts")
    store = SqlPromptStore(engine)
    assert store.add("greeting", "v3", actor="t").version == 3
    assert store.get("greeting", 1).created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_activate_v4_then_back_to_v3_writes_history(store: SqlPromptStore, engine: Engine, clock: FrozenClock) -> None:
    seed(store)
    store.activate("greeting", 4, actor="U1", reason="release")
    clock.advance(minutes=5)
    done = store.activate("greeting", 3, actor="U2", reason="rollback: bad answers", expected_active=4)
    assert done == PromptActivation("greeting", 4, 3, clock.now, "U2", "rollback: bad answers")
    active = store.active("greeting")
    assert active is not None and active.version == 3 and active.content == "greeting text 3"
    assert [(h.from_version, h.to_version, h.actor) for h in store.history("greeting")] == [
        (4, 3, "U2"),
        (None, 4, "U1"),
    ]
    assert [h.to_version for h in store.history("greeting", limit=1)] == [3]
    assert active_count(engine, "greeting") == 1


def test_a_stale_expected_active_changes_nothing(store: SqlPromptStore) -> None:
    seed(store)
    store.activate("greeting", 4, actor="U1", reason="release")
    with pytest.raises(StalePlanError, match="expected version 2 to be active, but the active version is 4"):
        store.activate("greeting", 3, actor="U2", reason="rollback", expected_active=2)
    assert store.active("greeting").version == 4  # type: ignore[union-attr]
    assert len(store.history("greeting")) == 1


def test_activating_the_active_version_is_a_usage_error(store: SqlPromptStore) -> None:
    seed(store, count=2)
    store.activate("greeting", 2, actor="U1", reason="release")
    with pytest.raises(UsageError, match="version 2 is already active"):
        store.activate("greeting", 2, actor="U1", reason="again")
    with pytest.raises(UsageError, match="reason must not be empty"):
        store.activate("greeting", 1, actor="U1", reason=" ")


def test_unknown_names_and_versions_are_not_found(store: SqlPromptStore) -> None:
    seed(store, count=2)
    with pytest.raises(NotFoundError, match="prompt 'greeting' has no version 7 \\(newest is 2\\)"):
        store.get("greeting", 7)
    with pytest.raises(NotFoundError, match="no prompt named 'nope' \\(asked for version 1\\)"):
        store.get("nope", 1)
    with pytest.raises(NotFoundError, match="has no version 9"):
        store.activate("greeting", 9, actor="U1", reason="r")
    for call in (lambda: store.versions("nope"), lambda: store.active("nope"), lambda: store.history("nope")):
        with pytest.raises(NotFoundError, match="no prompt named 'nope'"):
            call()
    assert store.history("greeting") == []


def test_bad_input_to_add_is_a_usage_error(store: SqlPromptStore) -> None:
    with pytest.raises(UsageError, match="content must not be empty"):
        store.add("greeting", "  ", actor="t")
    with pytest.raises(UsageError, match="name is 201 characters long"):
        store.add("x" * 201, "c", actor="t")


def test_ping(store: SqlPromptStore, engine: Engine) -> None:
    store.ping()
    with pytest.raises(StoreError, match="'missing_prompts' cannot be read"):
        SqlPromptStore(engine, "missing_prompts").ping()


def test_times_are_utc_whatever_the_session_time_zone(postgres_url: str, engine: Engine, clock: FrozenClock) -> None:
    @event.listens_for(engine, "connect")
    def _new_york(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        with dbapi_connection.cursor() as cur:
            cur.execute("SET TIME ZONE 'America/New_York'")
        dbapi_connection.commit()

    engine.dispose()
    create_app_table(engine)  # created_at TIMESTAMP WITHOUT TIME ZONE, as apps have it
    upgrade_prompts_db(engine, "system_prompts")
    store = SqlPromptStore(engine, clock=clock)
    added = store.add("greeting", "v3", actor="t")
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT created_at FROM system_prompts WHERE version = 3")).scalar_one()
    assert raw == clock.now.replace(tzinfo=None)
    assert store.get("greeting", 3).created_at == added.created_at == clock.now
