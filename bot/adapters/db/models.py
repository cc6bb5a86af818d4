"""SQLAlchemy 2.x table models of the bot's own database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# BIGINT on PostgreSQL, INTEGER on SQLite (only INTEGER PRIMARY KEY autoincrements there).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; the bot stores only timezone-aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base; the metadata is what the Alembic migrations must match."""


class RequestRow(Base):
    """A rollback request; ``version`` guards every state change (optimistic concurrency)."""

    __tablename__ = "rollback_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(String(63))
    environment: Mapped[str] = mapped_column(String(63))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    emergency: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    requester_id: Mapped[str] = mapped_column(String(32))
    approver_id: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    # "service/env" while the request is in flight, NULL afterwards. The target's slot (``TargetSlotRow``)
    # is what refuses a second change; this unique key is kept in step with it so that a replica of the
    # previous version, still running during a rolling upgrade, collides with this one's requests too.
    in_flight_key: Mapped[str | None] = mapped_column(String(127))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer)
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The execution's claim: the replica holding it until ``lease_until`` (the database's clock), and how
    # many times it was claimed (a claim after the first resumes what another replica left).
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    claims: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        Index("ix_rollback_requests_target", "service", "environment", "created_at"),
        UniqueConstraint("in_flight_key", name="uq_rollback_requests_in_flight_key"),
    )


class TargetSlotRow(Base):
    """A service/environment's slot: one row while something may change it (a request, a drill, a deploy…).

    The primary key makes the database refuse a second holder, across replicas. A request holds it from
    its opening until it is finished (``request_id``); a process holds it until ``lease_until`` unless it
    renews it, so a crashed process does not block the target forever.
    """

    __tablename__ = "target_slots"

    service: Mapped[str] = mapped_column(String(63), primary_key=True)
    environment: Mapped[str] = mapped_column(String(63), primary_key=True)
    holder_kind: Mapped[str] = mapped_column(String(32))
    holder_ref: Mapped[str] = mapped_column(String(64))
    holder_who: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("rollback_requests.id"), unique=True)
    since: Mapped[datetime] = mapped_column(UtcDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AuditRow(Base):
    """An audit event; triggers refuse UPDATE, and DELETE except through `rollback-bot prune`."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("rollback_requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class DrillRow(Base):
    """A recorded rollback drill with its phase times."""

    __tablename__ = "drills"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(String(63))
    environment: Mapped[str] = mapped_column(String(63))
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("rollback_requests.id"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    phases: Mapped[dict[str, Any]] = mapped_column(JSON)
    verified: Mapped[bool] = mapped_column(Boolean)
    passed: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_drills_target", "service", "environment", "started_at"),)


class ChecklistRunRow(Base):
    """A checklist result (scheduled, from the CLI or from Slack)."""

    __tablename__ = "checklist_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(String(63))
    environment: Mapped[str] = mapped_column(String(63))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    trigger: Mapped[str] = mapped_column(String(16))
    overall: Mapped[str] = mapped_column(String(8))
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    posted_channel: Mapped[str | None] = mapped_column(String(32))
    posted_ts: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_checklist_runs_target", "service", "environment", "at"),)


class ChecklistClaimRow(Base):
    """One row per scheduled fire time and target: the replica that inserts it posts; the others skip.

    Until ``posted_at`` is set, the claim is held until ``lease_until``; after that another replica
    (or this one after a restart) takes it over, up to a bound of ``attempts``.
    """

    __tablename__ = "checklist_claims"

    service: Mapped[str] = mapped_column(String(63), primary_key=True)
    environment: Mapped[str] = mapped_column(String(63), primary_key=True)
    fire_time: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    claimed_by: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    run_id: Mapped[int | None] = mapped_column(BigId)
    posted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, server_default="1")
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_checklist_claims_unposted", "posted_at", "lease_until"),)


class ChecklistPostSlotRow(Base):
    """A channel's next free slot for a scheduled checklist post, shared by every replica (pacing)."""

    __tablename__ = "checklist_post_slots"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_slot: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditPruneRow(Base):
    """The cutoff of a running `rollback-bot prune`, visible only inside its transaction (see migration 0003)."""

    __tablename__ = "audit_prune"

    cutoff: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)


class SignalWatchRow(Base):
    """LLM signals to read once a rollback's (or drill's) window has passed; one per request or drill."""

    __tablename__ = "signal_watches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(String(63))
    environment: Mapped[str] = mapped_column(String(63))
    request_id: Mapped[int | None] = mapped_column(BigId, unique=True)
    drill_id: Mapped[int | None] = mapped_column(BigId, unique=True)
    subject: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    settled_at: Mapped[datetime] = mapped_column(UtcDateTime())
    after_end: Mapped[datetime] = mapped_column(UtcDateTime())
    min_calls: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    problem: Mapped[str | None] = mapped_column(Text)
    message_ts: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_signal_watches_due", "finished_at", "due_at"),)


class DeliveryRow(Base):
    """A Slack submission or click already processed (a digest of its identity), kept until ``expires_at``.

    The primary key makes a second processing of the same delivery fail on every replica (replays inside
    Slack's 5-minute signature window, double deliveries).
    """

    __tablename__ = "slack_deliveries"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class ReleaseRow(Base):
    """A recorded release: every layer's items as JSON, and whether it was good."""

    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(String(63))
    environment: Mapped[str] = mapped_column(String(63))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    source: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8))
    layers: Mapped[dict[str, Any]] = mapped_column(JSON)
    marked_by: Mapped[str | None] = mapped_column(String(64))
    marked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_releases_target", "service", "environment", "id"),)


class DriftAlertRow(Base):
    """One drift from one release: the replica that inserts it posts; until posted it is held until ``lease_until``."""

    __tablename__ = "drift_alerts"

    service: Mapped[str] = mapped_column(String(63), primary_key=True)
    environment: Mapped[str] = mapped_column(String(63), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    release_id: Mapped[int] = mapped_column(BigId)
    summary: Mapped[str] = mapped_column(Text)
    claimed_by: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    lease_until: Mapped[datetime] = mapped_column(UtcDateTime())
    posted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    channel: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))


class DeployFreezeRow(Base):
    """A freeze of deploys to one service/environment until ``until`` (the database's clock); one per target."""

    __tablename__ = "deploy_freezes"

    service: Mapped[str] = mapped_column(String(63), primary_key=True)
    environment: Mapped[str] = mapped_column(String(63), primary_key=True)
    who: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime] = mapped_column(UtcDateTime())
    until: Mapped[datetime] = mapped_column(UtcDateTime())


class DeployRunRow(Base):
    """One deploy: its new revision, its progress message, and who asked it to abort (seen by every replica)."""

    __tablename__ = "deploy_runs"
    __table_args__ = (Index("ix_deploy_runs_target", "service", "environment", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(String(63))
    environment: Mapped[str] = mapped_column(String(63))
    revision: Mapped[str] = mapped_column(String(128))
    change: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    abort_by: Mapped[str | None] = mapped_column(String(64))
    abort_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
