"""Guards the application can live with: deferred one-active rule, trigger-recorded history, drafts editable.

Replaces p0001's guards (every UPDATE of content/name/version and every DELETE refused, a partial unique
index checked row by row, history written only by the bot) with those described in
``bot/adapters/prompts/ddl.py``. The versions active now are recorded in the history as the baseline,
so the next activation knows what it replaced. p0001's note of whether the bot created the table is
dropped: the registry never creates, and never drops, the application's table.

Revision ID: p0002
Revises: p0001
Create Date: 2027-01-04
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import context, op

from bot.adapters.prompts.ddl import INIT_ACTOR, INIT_REASON, GuardDdl
from bot.adapters.prompts.migrations.versions import v0001_prompt_registry as p0001
from bot.adapters.prompts.schema import PromptTableNames, prompt_tables

revision = "p0002"
down_revision = "p0001"
branch_labels = None
depends_on = None


def _ddl() -> GuardDdl:
    bind = op.get_bind()
    names = PromptTableNames.of(context.config.attributes["table"])
    postgres = bind.dialect.name == "postgresql"
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar() if postgres else None
    return GuardDdl(names, bind.dialect.identifier_preparer.quote, postgres=postgres, schema=schema)


def _record_baseline(names: PromptTableNames) -> None:
    """One history row per prompt whose active version the history does not end with."""
    bind = op.get_bind()
    prompts, history = prompt_tables(names)
    active = bind.execute(sa.select(prompts.c.name, prompts.c.version).where(prompts.c.is_active == sa.true()))
    for name, version in active.all():
        last = bind.execute(
            sa.select(history.c.to_version).where(history.c.prompt_name == name).order_by(history.c.id.desc()).limit(1)
        ).scalar()
        if last != version:
            bind.execute(
                history.insert().values(
                    prompt_name=name,
                    from_version=None,
                    to_version=version,
                    at=datetime.now(UTC),
                    actor=INIT_ACTOR,
                    reason=INIT_REASON,
                )
            )


def upgrade() -> None:
    ddl = _ddl()
    p0001.forget_created(ddl.n.table)
    statements = ddl.drop_triggers() + (ddl.drop_one_active() if ddl.postgres else []) + ddl.install()
    for statement in statements:
        op.execute(statement)
    _record_baseline(ddl.n)


def downgrade() -> None:
    ddl = _ddl()
    for statement in ddl.drop_triggers() + (ddl.drop_one_active() if ddl.postgres else []):
        op.execute(statement)
    if ddl.postgres:
        p0001.create_one_active(ddl.n)
    p0001.create_guards(ddl.n)
    p0001.remember(ddl.n.table, created=False)
