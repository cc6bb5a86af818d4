"""Releases (the recorded state of every layer of a service/environment) and drift alerts (posted once).

Revision ID: 0008
Revises: 0007
Create Date: 2027-01-11
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.adapters.db.models import BigId, UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("service", sa.String(63), nullable=False),
        sa.Column("environment", sa.String(63), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("layers", sa.JSON(), nullable=False),
        sa.Column("marked_by", sa.String(64), nullable=True),
        sa.Column("marked_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_releases_target", "releases", ["service", "environment", "id"])
    op.create_table(
        "drift_alerts",
        sa.Column("service", sa.String(63), primary_key=True),
        sa.Column("environment", sa.String(63), primary_key=True),
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("release_id", BigId, nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=False),
        sa.Column("claimed_at", UtcDateTime(), nullable=False),
        sa.Column("lease_until", UtcDateTime(), nullable=False),
        sa.Column("posted_at", UtcDateTime(), nullable=True),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("ts", sa.String(32), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("drift_alerts")
    op.drop_index("ix_releases_target", table_name="releases")
    op.drop_table("releases")
