"""Signal watches: the LLM signals read once a rollback's or a drill's window has passed (proof after rollback).

Revision ID: 0005
Revises: 0004
Create Date: 2027-01-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.adapters.db.models import BigId, UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signal_watches",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("service", sa.String(63), nullable=False),
        sa.Column("environment", sa.String(63), nullable=False),
        sa.Column("request_id", BigId, nullable=True, unique=True),
        sa.Column("drill_id", BigId, nullable=True, unique=True),
        sa.Column("subject", sa.JSON(), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.Column("settled_at", UtcDateTime(), nullable=False),
        sa.Column("after_end", UtcDateTime(), nullable=False),
        sa.Column("min_calls", sa.Integer(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
    )
    op.create_index("ix_signal_watches_due", "signal_watches", ["finished_at", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_signal_watches_due", table_name="signal_watches")
    op.drop_table("signal_watches")
