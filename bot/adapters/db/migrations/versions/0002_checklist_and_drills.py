"""Checklist runs, per-fire-time claims, drills, and the drill flag on requests.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.adapters.db.models import BigId, UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rollback_requests") as batch:
        batch.add_column(sa.Column("is_drill", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "drills",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("service", sa.String(63), nullable=False),
        sa.Column("environment", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("request_id", BigId, sa.ForeignKey("rollback_requests.id"), nullable=True),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("phases", sa.JSON(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_drills_target", "drills", ["service", "environment", "started_at"])
    op.create_table(
        "checklist_runs",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("service", sa.String(63), nullable=False),
        sa.Column("environment", sa.String(63), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("overall", sa.String(8), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("posted_channel", sa.String(32), nullable=True),
        sa.Column("posted_ts", sa.String(32), nullable=True),
    )
    op.create_index("ix_checklist_runs_target", "checklist_runs", ["service", "environment", "at"])
    op.create_table(
        "checklist_claims",
        sa.Column("service", sa.String(63), primary_key=True),
        sa.Column("environment", sa.String(63), primary_key=True),
        sa.Column("fire_time", UtcDateTime(), primary_key=True),
        sa.Column("claimed_by", sa.String(64), nullable=False),
        sa.Column("claimed_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("checklist_claims")
    op.drop_index("ix_checklist_runs_target", table_name="checklist_runs")
    op.drop_table("checklist_runs")
    op.drop_index("ix_drills_target", table_name="drills")
    op.drop_table("drills")
    with op.batch_alter_table("rollback_requests") as batch:
        batch.drop_column("is_drill")
