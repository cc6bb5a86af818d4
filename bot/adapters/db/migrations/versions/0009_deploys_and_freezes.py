"""Deploy freezes (who, why, until when) and deploy runs (their progress message and an abort flag any replica sees).

Revision ID: 0009
Revises: 0008
Create Date: 2027-01-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.adapters.db.models import BigId, UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deploy_freezes",
        sa.Column("service", sa.String(63), primary_key=True),
        sa.Column("environment", sa.String(63), primary_key=True),
        sa.Column("who", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", UtcDateTime(), nullable=False),
        sa.Column("until", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "deploy_runs",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("service", sa.String(63), nullable=False),
        sa.Column("environment", sa.String(63), nullable=False),
        sa.Column("revision", sa.String(128), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("abort_by", sa.String(64), nullable=True),
        sa.Column("abort_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_deploy_runs_target", "deploy_runs", ["service", "environment", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_deploy_runs_target", table_name="deploy_runs")
    op.drop_table("deploy_runs")
    op.drop_table("deploy_freezes")
