"""Prompt registry: the prompts table (when absent), one active version per name, immutable versions, history.

The table name comes from ``config.attributes["table"]``. An existing application table is checked,
never repaired: two active versions of one name, duplicate (name, version) rows or missing columns
stop the migration with a message and nothing changed.

Revision ID: p0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.engine.interfaces import ReflectedIndex

from bot.adapters.db.models import BigId, UtcDateTime
from bot.adapters.prompts.schema import BOOKKEEPING_TABLE, REQUIRED_COLUMNS, PromptTableNames
from bot.errors import StoreError

revision = "p0001"
down_revision = None
branch_labels = None
depends_on = None

_IMMUTABLE = "prompt versions are immutable (only is_active may change)"
_KEY = {"name", "version"}
_MAX_LISTED = 10
_bookkeeping = sa.table(BOOKKEEPING_TABLE, sa.column("table_name", sa.Text()), sa.column("created_table", sa.Boolean()))


def _names() -> PromptTableNames:
    return PromptTableNames.of(context.config.attributes["table"])


def _quote(name: str) -> str:
    return op.get_bind().dialect.identifier_preparer.quote(name)


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


# --- checks of an existing application table (run before any change) ----------------------------


def _check_columns(names: PromptTableNames) -> None:
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns(names.table)}
    missing = [c for c in REQUIRED_COLUMNS if c not in present]
    if missing:
        raise StoreError(
            f"table {names.table!r} exists but lacks column(s) {', '.join(missing)}; "
            f"a prompts table needs ({', '.join(REQUIRED_COLUMNS)})"
        )


def _has_name_version_key(table: str) -> bool:
    insp = sa.inspect(op.get_bind())
    keys: list[set[str | None]] = [set(insp.get_pk_constraint(table).get("constrained_columns") or [])]
    keys += [set(u["column_names"]) for u in insp.get_unique_constraints(table)]
    keys += [set(i["column_names"]) for i in insp.get_indexes(table) if i.get("unique") and not _is_partial(i)]
    return _KEY in keys


def _is_partial(index: ReflectedIndex) -> bool:
    options = index.get("dialect_options") or {}
    return bool(options.get("postgresql_where") or options.get("sqlite_where"))


def _listing(rows: Sequence[sa.Row[Any]]) -> str:
    by_name: dict[str, list[str]] = {}
    for row in rows:
        by_name.setdefault(str(row.name), []).append(str(row.version))
    shown = [f"{n!r} (versions {', '.join(v)})" for n, v in list(by_name.items())[:_MAX_LISTED]]
    more = len(by_name) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def _check_one_active(table: str) -> None:
    t = _quote(table)
    twice = f"SELECT name FROM {t} WHERE is_active = :yes GROUP BY name HAVING count(*) > 1"  # noqa: S608
    query = f"SELECT name, version FROM {t} WHERE is_active = :yes AND name IN ({twice}) ORDER BY name, version"  # noqa: S608
    rows = op.get_bind().execute(sa.text(query), {"yes": True}).all()
    if rows:
        raise StoreError(
            f"table {table!r} has more than one active version for: {_listing(rows)}. "
            "Leave exactly one active version per name, then run `rollback-bot prompts init` again; nothing was changed"
        )


def _check_unique_versions(table: str) -> None:
    query = f"SELECT name, version FROM {_quote(table)} GROUP BY name, version HAVING count(*) > 1"  # noqa: S608
    rows = op.get_bind().execute(sa.text(query + " ORDER BY name, version")).all()
    if rows:
        raise StoreError(
            f"table {table!r} holds the same version twice for: {_listing(rows)}. "
            "Each (name, version) must be unique; nothing was changed"
        )


# --- what the bot adds --------------------------------------------------------------------------


def _create_prompts_table(table: str) -> None:
    op.create_table(
        table,
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", "version"),
    )


def _remember(table: str, *, created: bool) -> None:
    if not sa.inspect(op.get_bind()).has_table(BOOKKEEPING_TABLE):
        op.create_table(
            BOOKKEEPING_TABLE,
            sa.Column("table_name", sa.Text(), primary_key=True),
            sa.Column("created_table", sa.Boolean(), nullable=False),
        )
    op.execute(_bookkeeping.delete().where(_bookkeeping.c.table_name == table))
    op.execute(_bookkeeping.insert().values(table_name=table, created_table=created))


def _forget(table: str) -> bool:
    """Drop the bookkeeping row of ``table``; True when the bot had created the table."""
    bind = op.get_bind()
    if not sa.inspect(bind).has_table(BOOKKEEPING_TABLE):
        return False
    where = _bookkeeping.c.table_name == table
    created = bind.execute(sa.select(_bookkeeping.c.created_table).where(where)).scalar_one_or_none()
    bind.execute(_bookkeeping.delete().where(where))
    if bind.execute(sa.select(sa.func.count()).select_from(_bookkeeping)).scalar_one() == 0:
        op.drop_table(BOOKKEEPING_TABLE)
    return bool(created)


def _create_activations(names: PromptTableNames) -> None:
    if sa.inspect(op.get_bind()).has_table(names.activations):
        return  # kept by `prompts uninstall`: the history continues
    op.create_table(
        names.activations,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("prompt_name", sa.Text(), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index(names.activations_index, names.activations, ["prompt_name", "id"])


def _create_guards(names: PromptTableNames) -> None:
    t, fn = _quote(names.table), _quote(names.guard_function)
    if _is_postgres():
        op.execute(
            f"CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF TG_OP = 'UPDATE' AND NEW.content IS NOT DISTINCT FROM OLD.content "
            "AND NEW.name IS NOT DISTINCT FROM OLD.name AND NEW.version IS NOT DISTINCT FROM OLD.version "
            f"THEN RETURN NEW; END IF; RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' {_IMMUTABLE}; ' "
            "|| TG_OP || ' refused', ERRCODE = 'integrity_constraint_violation'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {_quote(names.no_update_trigger)} BEFORE UPDATE OF content, name, version ON {t} "
            f"FOR EACH ROW EXECUTE FUNCTION {fn}()"
        )
        op.execute(
            f"CREATE TRIGGER {_quote(names.no_delete_trigger)} BEFORE DELETE ON {t} "
            f"FOR EACH ROW EXECUTE FUNCTION {fn}()"
        )
        op.execute(
            f"CREATE TRIGGER {_quote(names.no_truncate_trigger)} BEFORE TRUNCATE ON {t} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()"
        )
        return
    message = f"{names.table} {_IMMUTABLE}"
    op.execute(
        f"CREATE TRIGGER {_quote(names.no_update_trigger)} BEFORE UPDATE OF content, name, version ON {t} "
        "FOR EACH ROW WHEN NEW.content IS NOT OLD.content OR NEW.name IS NOT OLD.name "
        "OR NEW.version IS NOT OLD.version "
        f"BEGIN SELECT RAISE(ABORT, '{message}; UPDATE refused'); END"
    )
    op.execute(
        f"CREATE TRIGGER {_quote(names.no_delete_trigger)} BEFORE DELETE ON {t} "
        f"BEGIN SELECT RAISE(ABORT, '{message}; DELETE refused'); END"
    )


def _drop_guards(names: PromptTableNames) -> None:
    t = _quote(names.table)
    if _is_postgres():
        for trigger in (names.no_update_trigger, names.no_delete_trigger, names.no_truncate_trigger):
            op.execute(f"DROP TRIGGER IF EXISTS {_quote(trigger)} ON {t}")
        op.execute(f"DROP FUNCTION IF EXISTS {_quote(names.guard_function)}()")
        return
    for trigger in (names.no_update_trigger, names.no_delete_trigger):
        op.execute(f"DROP TRIGGER IF EXISTS {_quote(trigger)}")


def create_one_active(names: PromptTableNames) -> None:
    """This revision's one-active rule: a partial unique index (checked row by row)."""
    op.create_index(
        names.one_active_index,
        names.table,
        ["name"],
        unique=True,
        postgresql_where=sa.text("is_active"),
        sqlite_where=sa.text("is_active = 1"),
    )


def upgrade() -> None:
    names = _names()
    existed = sa.inspect(op.get_bind()).has_table(names.table)
    add_key = False
    if existed:
        _check_columns(names)
        add_key = not _has_name_version_key(names.table)
        if add_key:
            _check_unique_versions(names.table)
        _check_one_active(names.table)
    else:
        _create_prompts_table(names.table)
    if add_key:
        op.create_index(names.name_version_index, names.table, ["name", "version"], unique=True)
    create_one_active(names)
    _remember(names.table, created=not existed)
    _create_activations(names)
    _create_guards(names)


def downgrade() -> None:
    names = _names()
    _drop_guards(names)
    op.execute(f"DROP INDEX IF EXISTS {_quote(names.one_active_index)}")
    op.execute(f"DROP INDEX IF EXISTS {_quote(names.name_version_index)}")
    op.drop_index(names.activations_index, table_name=names.activations)
    op.drop_table(names.activations)
    if _forget(names.table):
        op.drop_table(names.table)


# What p0002 uses to replace this revision's guards, and to bring them back on downgrade.
create_guards = _create_guards
remember = _remember
forget_created = _forget
