"""What the application may still do to its own prompts table once `prompts init` guarded it (docs/prompts.md).

Allowed: activating in either order the database supports, fixing a typo in a draft, pruning old versions,
an idempotent reseed, renaming a prompt. Refused: editing or renumbering a version that has been active,
deleting the active version or the one a rollback goes back to, a destructive reseed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.adapters.prompts import SqlPromptStore, upgrade_prompts_db
from bot.kinds.prompt.executor import PromptActivation

from .conftest import active_count, create_app_table

T0 = datetime(2026, 1, 2, 3, 4, 5)
ROWS = [(1, "greeting", "Hello v1", False), (2, "greeting", "Hello v2", False), (3, "greeting", "Hello v3", True)]


@pytest.fixture
def app(engine: Engine) -> SqlPromptStore:
    """greeting v1..v3, v3 active at init; the bot then activated v4 (a draft the app had added)."""
    create_app_table(engine, rows=ROWS)
    upgrade_prompts_db(engine, "system_prompts")
    store = SqlPromptStore(engine)
    store.add("greeting", "Hello v4", actor="app")
    store.activate("greeting", 4, actor="U1", reason="release")
    return store


def _sql(engine: Engine, statement: str, **params: object) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement), params)


def _insert(conn: Connection, version: int, content: str, *, active: bool) -> None:
    conn.execute(
        text("INSERT INTO system_prompts VALUES (:v, 'greeting', :c, :a, :t)"),
        {"v": version, "c": content, "a": active, "t": T0},
    )


def _ships_v5_itself(engine: Engine) -> None:
    """The application's own release: the order its database allows (PostgreSQL checks one-active at commit)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # insert the new active version first, then deactivate the old
            _insert(conn, 5, "Hello v5", active=True)
            conn.execute(text("UPDATE system_prompts SET is_active = :no WHERE version = 4"), {"no": False})
        else:  # SQLite checks every statement: deactivate first (docs/prompts.md)
            conn.execute(text("UPDATE system_prompts SET is_active = :no WHERE version = 4"), {"no": False})
            _insert(conn, 5, "Hello v5", active=True)


def test_after_the_app_activates_v5_itself_the_default_plan_goes_to_v4(app: SqlPromptStore, engine: Engine) -> None:
    _ships_v5_itself(engine)
    latest = app.history("greeting")[0]
    assert (latest.from_version, latest.to_version) == (4, 5)
    assert latest.actor.startswith("db") and latest.reason == "activated in the database"
    plan = PromptActivation(app).plan()
    assert (plan.current_text, plan.desired_text) == ("greeting v5 active", "greeting v4 active")


def test_insert_new_active_then_deactivate_old_in_one_transaction_works_on_postgres(
    postgres_url: str, app: SqlPromptStore, engine: Engine
) -> None:
    _ships_v5_itself(engine)
    assert active_count(engine, "greeting") == 1
    with pytest.raises(IntegrityError), engine.begin() as conn:  # but never two at commit
        _insert(conn, 6, "Hello v6", active=True)


def test_on_sqlite_the_documented_order_works_and_the_other_is_refused(engine: Engine, app: SqlPromptStore) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL accepts both orders")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _insert(conn, 5, "Hello v5", active=True)
    _ships_v5_itself(engine)
    assert app.active("greeting").version == 5  # type: ignore[union-attr]


def test_a_typo_fix_in_a_draft_is_allowed_but_not_in_a_version_that_was_active(
    app: SqlPromptStore, engine: Engine
) -> None:
    app.add("greeting", "Helo v5", actor="app")
    _sql(engine, "UPDATE system_prompts SET content = 'Hello v5' WHERE version = 5")
    _sql(engine, "UPDATE system_prompts SET version = 6 WHERE version = 5")  # renumbering a draft too
    assert app.get("greeting", 6).content == "Hello v5"
    for version in (4, 3, 2):  # active now; active at init; older than one that was active
        with pytest.raises(DBAPIError, match="has been active keeps its content and number"):
            _sql(engine, "UPDATE system_prompts SET content = 'edited' WHERE version = :v", v=version)
    with pytest.raises(DBAPIError, match="has been active keeps its content and number"):
        _sql(engine, "UPDATE system_prompts SET version = 40 WHERE version = 3")
    assert app.get("greeting", 3).content == "Hello v3"


def test_pruning_old_versions_is_allowed_except_the_active_one_and_the_rollback_target(
    app: SqlPromptStore, engine: Engine
) -> None:
    _sql(engine, "DELETE FROM system_prompts WHERE version < 3")  # old, inactive: pruned
    assert [v.version for v in app.versions("greeting")] == [4, 3]
    for version in (4, 3):  # active; what the latest activation replaced (the rollback target)
        with pytest.raises(DBAPIError, match="the active version and the version a rollback goes back to"):
            _sql(engine, "DELETE FROM system_prompts WHERE version = :v", v=version)
    assert PromptActivation(app).plan().desired_text == "greeting v3 active"


def test_a_destructive_reseed_is_refused_and_an_idempotent_one_is_allowed(app: SqlPromptStore, engine: Engine) -> None:
    with pytest.raises(DBAPIError, match="cannot be deleted"):
        _sql(engine, "DELETE FROM system_prompts")
    assert len(app.versions("greeting")) == 4
    upsert = (
        "INSERT INTO system_prompts VALUES (:v, 'greeting', :c, :no, :t) "
        "ON CONFLICT (name, version) DO UPDATE SET content = excluded.content"
    )
    for version, _name, content, _active in ROWS:  # the seed script run again: same content, nothing changes
        _sql(engine, upsert, v=version, c=content, no=False, t=T0)
    _sql(engine, upsert, v=7, c="Hello v7", no=False, t=T0)  # and it may add new versions
    assert [v.version for v in app.versions("greeting")] == [7, 4, 3, 2, 1]
    with pytest.raises(DBAPIError, match="keeps its content"):
        _sql(engine, upsert, v=3, c="reseeded differently", no=False, t=T0)


def test_renaming_a_prompt_is_allowed_and_its_history_follows(app: SqlPromptStore, engine: Engine) -> None:
    _sql(engine, "UPDATE system_prompts SET name = 'welcome' WHERE name = 'greeting'")
    assert app.names() == ["welcome"]
    assert [(a.from_version, a.to_version) for a in app.history("welcome")] == [(3, 4), (None, 3)]
    plan = PromptActivation(app).plan()
    assert (plan.current_text, plan.desired_text) == ("welcome v4 active", "welcome v3 active")
    done = app.activate("welcome", 3, actor="U2", reason="rollback")
    assert (done.from_version, done.to_version, done.at.tzinfo) == (4, 3, UTC)
