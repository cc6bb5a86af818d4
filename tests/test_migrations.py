"""Alembic migrations on SQLite and PostgreSQL: up, down, up again; models match; audit is append-only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.adapters.db import migrate
from bot.adapters.db.engine import make_engine
from bot.adapters.db.models import Base

TABLES = {"rollback_requests", "audit_events"}


def _tables(engine) -> set[str]:  # type: ignore[no-untyped-def]
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    assert _tables(engine) >= TABLES
    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert not (TABLES & _tables(engine))
    migrate.upgrade(engine)
    assert _tables(engine) >= TABLES
    engine.dispose()


def test_models_match_migrated_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    engine.dispose()


def test_audit_events_are_append_only(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO audit_events (at, actor, event, detail) VALUES (:at, 'U1', 'test', '{}')"),
            {"at": now},
        )
    for statement in ("UPDATE audit_events SET actor = 'U2'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT actor FROM audit_events")).scalar_one() == "U1"
    engine.dispose()


def test_one_in_flight_request_per_target_is_enforced_by_the_database(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    insert = text(
        "INSERT INTO rollback_requests (service, environment, kind, status, emergency, reason, requester_id,"
        " channel_id, plan, result, in_flight_key, created_at, updated_at, expires_at, version)"
        " VALUES ('a', 'p', 'code', 'pending', false, 'r', 'U1', 'C1', '{}', '{}', :key, :t, :t, :t, 1)"
    )
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(insert, {"key": "a/p", "t": now})
        conn.execute(insert, {"key": None, "t": now})
        conn.execute(insert, {"key": None, "t": now})  # finished requests (NULL key) never collide
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert, {"key": "a/p", "t": now})
    engine.dispose()
