"""The audit stays append-only, except for `rollback-bot prune`: deletion of events older than its cutoff.

The prune transaction writes its cutoff into ``audit_prune`` and removes it before it commits, so the
row is never visible to any other transaction; the triggers let a DELETE through only for an event
older than a cutoff they can see. UPDATE stays refused.

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.adapters.db.models import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_REFUSED = "audit_events is append-only (only rollback-bot prune deletes old events)"
_PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_prune p WHERE OLD.at < p.cutoff) THEN RETURN OLD; END IF; "
    f"RAISE EXCEPTION '{_REFUSED}'; END $$"
)
_PG_FUNCTION_0001 = (
    "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'audit_events is append-only'; END $$"
)
_SQLITE_NO_DELETE = (
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "WHEN NOT EXISTS (SELECT 1 FROM audit_prune p WHERE OLD.at < p.cutoff) "
    f"BEGIN SELECT RAISE(ABORT, '{_REFUSED}'); END"
)
_SQLITE_NO_DELETE_0001 = (
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table("audit_prune", sa.Column("cutoff", UtcDateTime(), primary_key=True))
    if _postgres():
        op.execute(_PG_FUNCTION)
        return
    op.execute("DROP TRIGGER audit_events_no_delete")
    op.execute(_SQLITE_NO_DELETE)


def downgrade() -> None:
    if _postgres():
        op.execute(_PG_FUNCTION_0001)
    else:
        op.execute("DROP TRIGGER audit_events_no_delete")
        op.execute(_SQLITE_NO_DELETE_0001)
    op.drop_table("audit_prune")
