"""The migration lock itself, on PostgreSQL: held for the block, per schema, released after, long statements inside."""

from __future__ import annotations

from sqlalchemy import Engine, text

from bot.adapters.db.engine import make_engine
from bot.adapters.db.locks import _KEY, migration_lock

TRY = text(f"SELECT pg_try_advisory_lock({_KEY})")
UNLOCK = text(f"SELECT pg_advisory_unlock({_KEY})")


def _try(engine: Engine, name: str) -> bool:
    with engine.connect() as conn:
        got = bool(conn.execute(TRY, {"name": name}).scalar_one())
        if got:
            conn.execute(UNLOCK, {"name": name})
        return got


def test_the_lock_is_held_for_the_block_only_with_room_for_long_statements(postgres_url: str) -> None:
    holder, other = make_engine(postgres_url), make_engine(postgres_url)
    try:
        with holder.connect() as conn, migration_lock(conn, "rollback-bot"):
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "15min"  # engines say 30 s
            assert not _try(other, "rollback-bot")
            assert _try(other, "rollback-bot-prompts")  # another lock name does not wait
        assert _try(other, "rollback-bot")
        with holder.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "30s"  # SET LOCAL ended with it
    finally:
        holder.dispose()
        other.dispose()
