"""One slot per target for every change, and claimed executions with leases on the database's clock.

``target_slots`` holds one row per service/environment while something may change it: requests (rollbacks
and drills) from opening to finish, processes (a deploy …) under a lease. Requests in flight get their
slot here. Requests get the columns of their execution's claim; one left executing by an earlier version
becomes claimable once its last heartbeat is older than the earlier version's 5 minutes.

Revision ID: 0007
Revises: 0006
Create Date: 2027-01-12
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from bot.adapters.db.models import BigId, UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

EARLIER_STALE_AFTER = timedelta(minutes=5)
_REQUESTS = sa.table(
    "rollback_requests",
    sa.column("id", BigId),
    sa.column("status", sa.String),
    sa.column("updated_at", UtcDateTime()),
    sa.column("lease_owner", sa.String),
    sa.column("lease_until", UtcDateTime()),
    sa.column("claims", sa.Integer),
)


def upgrade() -> None:
    op.create_table(
        "target_slots",
        sa.Column("service", sa.String(63), primary_key=True),
        sa.Column("environment", sa.String(63), primary_key=True),
        sa.Column("holder_kind", sa.String(32), nullable=False),
        sa.Column("holder_ref", sa.String(64), nullable=False),
        sa.Column("holder_who", sa.String(64), nullable=False),
        sa.Column("request_id", BigId, sa.ForeignKey("rollback_requests.id"), nullable=True, unique=True),
        sa.Column("since", UtcDateTime(), nullable=False),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
    )
    with op.batch_alter_table("rollback_requests") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(64), nullable=True))
        batch.add_column(sa.Column("lease_until", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("claims", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "INSERT INTO target_slots (service, environment, holder_kind, holder_ref, holder_who, request_id, since) "
        "SELECT service, environment, CASE WHEN is_drill THEN 'drill' ELSE 'rollback' END, "
        "CAST(id AS VARCHAR(64)), requester_id, id, created_at FROM rollback_requests "
        "WHERE in_flight_key IS NOT NULL"
    )
    r = _REQUESTS.c
    executing = op.get_bind().execute(sa.select(r.id, r.updated_at).where(r.status == "executing")).all()
    for request_id, updated_at in executing:
        op.execute(
            _REQUESTS.update()
            .where(r.id == request_id)
            .values(lease_owner="earlier-version", lease_until=updated_at + EARLIER_STALE_AFTER, claims=1)
        )


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy would drop a table the audit references.
    op.drop_column("rollback_requests", "claims")
    op.drop_column("rollback_requests", "lease_until")
    op.drop_column("rollback_requests", "lease_owner")
    op.drop_table("target_slots")
