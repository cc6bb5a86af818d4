"""Scheduled checklist claims carry their run, when they were posted, attempts and a lease; posts are paced.

A claim whose post never happened (a crash, Slack down) is taken over once its lease has passed, and
retried with backoff up to a bound. Claims made before this revision are taken as posted. Each
channel's next free posting slot is a row every replica reserves from.

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.adapters.db.models import BigId, UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checklist_claims") as batch:
        batch.add_column(sa.Column("run_id", BigId, nullable=True))
        batch.add_column(sa.Column("posted_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("lease_until", UtcDateTime(), nullable=True))
    op.execute("UPDATE checklist_claims SET posted_at = claimed_at, lease_until = claimed_at")
    op.create_index("ix_checklist_claims_unposted", "checklist_claims", ["posted_at", "lease_until"])
    op.create_table(
        "checklist_post_slots",
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("next_slot", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("checklist_post_slots")
    op.drop_index("ix_checklist_claims_unposted", table_name="checklist_claims")
    with op.batch_alter_table("checklist_claims") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("attempts")
        batch.drop_column("posted_at")
        batch.drop_column("run_id")
