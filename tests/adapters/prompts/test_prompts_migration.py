"""`prompts init` on SQLite and PostgreSQL: existing tables only, checks before any change, upgrade from p0001."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.adapters.prompts import SqlPromptStore, prompts_db_revision, uninstall_prompts_db, upgrade_prompts_db
from bot.adapters.prompts.revisions import prompts_head_revision
from bot.errors import ConfigError, StoreError

from .conftest import APP_ROWS, active_count, create_app_table

ADDED = {"system_prompts_activations", "rollback_bot_prompts_version"}


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _rows(engine: Engine, table: str = "system_prompts") -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(text(f"SELECT version, name, content, is_active FROM {table} ORDER BY name, version"))
        ]


def _index_names(engine: Engine, table: str = "system_prompts") -> set[str]:
    return {i["name"] for i in inspect(engine).get_indexes(table) if i["name"]}


def test_a_table_that_does_not_exist_is_named_and_never_created(engine: Engine) -> None:
    create_app_table(engine)
    with pytest.raises(ConfigError, match=r"prompts table 'system_promts' not found in (sqlite|postgresql) database"):
        upgrade_prompts_db(engine, "system_promts")  # a typo in `table:`
    assert _tables(engine) == {"system_prompts"}


def test_init_uninstall_init_on_an_app_table_keeps_its_data(engine: Engine) -> None:
    create_app_table(engine)
    before = _rows(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('app_0042')"))
    assert upgrade_prompts_db(engine, "system_prompts").ran
    assert prompts_db_revision(engine, "system_prompts") == prompts_head_revision()
    assert _tables(engine) == ADDED | {"system_prompts", "alembic_version"}
    assert _rows(engine) == before
    assert "system_prompts_name_version_key" in _index_names(engine)
    store = SqlPromptStore(engine)
    assert store.active("greeting").version == 2  # type: ignore[union-attr]
    assert store.guards().ok
    assert not upgrade_prompts_db(engine, "system_prompts").ran  # idempotent at head
    uninstall_prompts_db(engine, "system_prompts", drop_history=True)
    assert _tables(engine) == {"system_prompts", "alembic_version"}  # the app's table stays, unguarded
    assert _rows(engine) == before
    assert not store.guards().ok
    with engine.begin() as conn:
        conn.execute(text("UPDATE system_prompts SET content = 'edited' WHERE name = 'triage'"))
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "app_0042"
    upgrade_prompts_db(engine, "system_prompts")
    assert len(_rows(engine)) == len(APP_ROWS) and store.guards().ok


def test_an_install_by_an_older_bot_upgrades_in_place(engine: Engine) -> None:
    create_app_table(engine)
    upgrade_prompts_db(engine, "system_prompts", revision="p0001")
    store = SqlPromptStore(engine)
    problems = store.guards().problems
    assert problems and "older bot (revision p0001" in problems[0]
    assert "rollback_bot_prompts_tables" in _tables(engine)  # p0001's note of whether it created the table
    done = upgrade_prompts_db(engine, "system_prompts")
    assert (done.before, done.after) == ("p0001", prompts_head_revision())
    assert store.guards().ok
    assert "rollback_bot_prompts_tables" not in _tables(engine)
    baseline = store.history("greeting")
    assert [(a.from_version, a.to_version, a.actor) for a in baseline] == [(None, 2, "rollback-bot prompts init")]


def test_two_active_versions_in_an_existing_table_stop_the_migration(engine: Engine) -> None:
    rows = [(1, "greeting", "a", True), (2, "greeting", "b", True), (3, "greeting", "c", False), (1, "ok", "x", True)]
    create_app_table(engine, rows=rows)
    with pytest.raises(StoreError, match=r"more than one active version for: 'greeting' \(versions 1, 2\)"):
        upgrade_prompts_db(engine, "system_prompts")
    assert _tables(engine) == {"system_prompts"}  # nothing was changed, data not "fixed"
    assert active_count(engine, "greeting") == 2


def test_duplicate_versions_or_missing_columns_stop_the_migration(engine: Engine) -> None:
    create_app_table(engine, rows=[(1, "greeting", "a", False), (1, "greeting", "b", False)])
    with pytest.raises(
        StoreError, match=r"same version twice for: 'greeting' \(versions 1\)\. Each \(name, version\) must be unique"
    ):
        upgrade_prompts_db(engine, "system_prompts")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE odd_prompts (name TEXT, body TEXT)"))
    with pytest.raises(StoreError, match=r"lacks column\(s\) version, content, is_active, created_at"):
        upgrade_prompts_db(engine, "odd_prompts")
    assert _tables(engine) == {"system_prompts", "odd_prompts"}


def test_the_database_refuses_a_second_active_version(engine: Engine) -> None:
    create_app_table(engine)
    upgrade_prompts_db(engine, "system_prompts")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text("UPDATE system_prompts SET is_active = :yes WHERE name = 'greeting' AND version = 1"), {"yes": True}
        )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text("INSERT INTO system_prompts VALUES (3, 'greeting', 'c', :yes, CURRENT_TIMESTAMP)"), {"yes": True}
        )
    assert active_count(engine, "greeting") == 1


def test_truncate_is_refused_on_postgres(postgres_url: str, engine: Engine) -> None:
    create_app_table(engine)
    upgrade_prompts_db(engine, "system_prompts")
    with pytest.raises(DBAPIError, match="TRUNCATE would delete the active version"), engine.begin() as conn:
        conn.execute(text("TRUNCATE system_prompts"))


def test_a_custom_table_name_and_two_tables_in_one_database(engine: Engine) -> None:
    create_app_table(engine, "agent_prompts")
    create_app_table(engine, "system_prompts")
    upgrade_prompts_db(engine, "agent_prompts")
    upgrade_prompts_db(engine, "system_prompts")
    tables = _tables(engine)
    assert {"agent_prompts_activations", "rollback_bot_prompts_version_agent_prompts"} <= tables
    agent = SqlPromptStore(engine, "agent_prompts")
    assert agent.guards().ok and agent.activate("greeting", 1, actor="t", reason="r").from_version == 2
    uninstall_prompts_db(engine, "agent_prompts", drop_history=True)
    assert "agent_prompts" in _tables(engine) and not agent.guards().ok
    assert "system_prompts_activations" in _tables(engine)  # the other table's registry is untouched
    assert SqlPromptStore(engine).guards().ok


def test_a_table_name_that_is_not_an_identifier_is_refused(engine: Engine) -> None:
    with pytest.raises(ConfigError, match="not a plain SQL identifier"):
        upgrade_prompts_db(engine, "prompts; DROP TABLE x")
    with pytest.raises(ConfigError):
        SqlPromptStore(engine, "a-b")
