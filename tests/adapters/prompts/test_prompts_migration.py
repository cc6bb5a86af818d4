"""The registry's migration on SQLite and PostgreSQL: empty and existing tables, guards, up/down/up."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.adapters.prompts import SqlPromptStore, downgrade_prompts_db, prompts_db_revision, upgrade_prompts_db
from bot.adapters.prompts.migrate import prompts_head_revision
from bot.errors import ConfigError, StoreError

from .conftest import APP_ROWS, active_count, create_app_table

ADDED = {"system_prompts_activations", "rollback_bot_prompts_tables", "rollback_bot_prompts_version"}


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


def test_up_down_up_on_an_empty_database(engine: Engine) -> None:
    upgrade_prompts_db(engine, "system_prompts")
    assert prompts_db_revision(engine, "system_prompts") == prompts_head_revision()
    assert _tables(engine) == ADDED | {"system_prompts"}
    assert "system_prompts_one_active" in _index_names(engine)
    downgrade_prompts_db(engine, "system_prompts")
    assert _tables(engine) == set()  # the bot created the table, so the bot removes it
    assert prompts_db_revision(engine, "system_prompts") is None
    upgrade_prompts_db(engine, "system_prompts")
    assert _tables(engine) == ADDED | {"system_prompts"}
    upgrade_prompts_db(engine, "system_prompts")  # idempotent at head


def test_up_down_up_on_an_existing_app_table_keeps_its_data(engine: Engine) -> None:
    create_app_table(engine)
    before = _rows(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('app_0042')"))
    upgrade_prompts_db(engine, "system_prompts")
    assert _rows(engine) == before
    assert {"system_prompts_one_active", "system_prompts_name_version_key"} <= _index_names(engine)
    store = SqlPromptStore(engine)
    assert store.active("greeting").version == 2  # type: ignore[union-attr]
    downgrade_prompts_db(engine, "system_prompts")
    assert _tables(engine) == {"system_prompts", "alembic_version"}  # the app's table stays, unguarded
    assert _rows(engine) == before
    assert not (_index_names(engine) & {"system_prompts_one_active", "system_prompts_name_version_key"})
    with engine.begin() as conn:
        conn.execute(text("UPDATE system_prompts SET content = 'edited' WHERE name = 'triage'"))
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "app_0042"
    upgrade_prompts_db(engine, "system_prompts")
    assert len(_rows(engine)) == len(APP_ROWS)


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


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE system_prompts SET content = 'rewritten' WHERE name = 'greeting'",
        "UPDATE system_prompts SET name = 'renamed' WHERE name = 'triage'",
        "UPDATE system_prompts SET version = 9 WHERE name = 'triage'",
        "DELETE FROM system_prompts WHERE name = 'triage'",
    ],
)
def test_the_database_refuses_to_change_or_delete_a_version(engine: Engine, statement: str) -> None:
    create_app_table(engine)
    upgrade_prompts_db(engine, "system_prompts")
    before = _rows(engine)
    with pytest.raises(DBAPIError, match="immutable"), engine.begin() as conn:
        conn.execute(text(statement))
    assert _rows(engine) == before


def test_only_is_active_may_change(engine: Engine) -> None:
    create_app_table(engine)
    upgrade_prompts_db(engine, "system_prompts")
    with engine.begin() as conn:
        conn.execute(text("UPDATE system_prompts SET is_active = :no WHERE name = 'triage'"), {"no": False})
        conn.execute(text("UPDATE system_prompts SET content = content WHERE name = 'greeting'"))  # a no-op is fine
    assert active_count(engine, "triage") == 0


def test_truncate_is_refused_on_postgres(postgres_url: str, engine: Engine) -> None:
    create_app_table(engine)
    upgrade_prompts_db(engine, "system_prompts")
    with pytest.raises(DBAPIError, match="immutable"), engine.begin() as conn:
        conn.execute(text("TRUNCATE system_prompts"))


def test_a_custom_table_name_and_two_tables_in_one_database(engine: Engine) -> None:
    create_app_table(engine, "agent_prompts")
    upgrade_prompts_db(engine, "agent_prompts")
    upgrade_prompts_db(engine, "system_prompts")
    tables = _tables(engine)
    assert {"agent_prompts_activations", "rollback_bot_prompts_version_agent_prompts"} <= tables
    assert "agent_prompts_one_active" in _index_names(engine, "agent_prompts")
    agent = SqlPromptStore(engine, "agent_prompts")
    assert agent.activate("greeting", 1, actor="t", reason="r").from_version == 2
    downgrade_prompts_db(engine, "agent_prompts")
    assert "agent_prompts" in _tables(engine)
    assert "system_prompts_activations" in _tables(engine)  # the other table's registry is untouched
    assert prompts_db_revision(engine, "system_prompts") == prompts_head_revision()


def test_a_table_name_that_is_not_an_identifier_is_refused(engine: Engine) -> None:
    with pytest.raises(ConfigError, match="not a plain SQL identifier"):
        upgrade_prompts_db(engine, "prompts; DROP TABLE x")
    with pytest.raises(ConfigError):
        SqlPromptStore(engine, "a-b")
