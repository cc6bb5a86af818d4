"""The application's migration head, read only, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.adapters.db.engine import make_engine
from bot.adapters.migration_head import SqlMigrationHead
from bot.errors import StoreError


def test_the_head_is_read_and_several_heads_are_joined(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        head = SqlMigrationHead(engine, "alembic_version")
        with pytest.raises(StoreError, match="could not read the migration head from alembic_version") as err:
            head.head()
        assert "password" not in err.value.user_message
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        assert head.head() is None
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO alembic_version VALUES ('b2'), ('a1')"))
        assert head.head() == "a1+b2"
        with engine.connect() as conn:  # read only: nothing was written by the bot
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 2
    finally:
        engine.dispose()
