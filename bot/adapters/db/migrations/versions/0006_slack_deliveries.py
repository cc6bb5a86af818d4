"""Slack submissions and clicks already processed, so that a replay or a double delivery changes nothing.

Revision ID: 0006
Revises: 0005
Create Date: 2027-01-11
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.adapters.db.models import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_deliveries",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("seen_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_slack_deliveries_expires_at", "slack_deliveries", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_deliveries_expires_at", table_name="slack_deliveries")
    op.drop_table("slack_deliveries")
