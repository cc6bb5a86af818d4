"""Rollback requests and the closed sets they are made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.domain.kinds import KindName


class RequestStatus(StrEnum):
    """Lifecycle of a rollback request."""

    pending = "pending"
    approved = "approved"
    executing = "executing"
    succeeded = "succeeded"
    failed = "failed"
    rejected = "rejected"
    cancelled = "cancelled"
    expired = "expired"

    @property
    def in_flight(self) -> bool:
        """True while the request still holds its service/environment."""
        return self in {RequestStatus.pending, RequestStatus.approved, RequestStatus.executing}


@dataclass(frozen=True)
class ServiceEnv:
    """A service and one of its environments."""

    service: str
    environment: str

    def __str__(self) -> str:
        return f"{self.service}/{self.environment}"


@dataclass(frozen=True)
class RollbackRequest:
    """A request to roll something back, as stored."""

    id: int
    target: ServiceEnv
    kind: KindName
    status: RequestStatus
    requester_id: str
    channel_id: str
    emergency: bool
    reason: str
    plan: dict[str, Any]
    created_at: datetime
    expires_at: datetime
    version: int
    approver_id: str | None = None
    message_ts: str | None = None
    decided_at: datetime | None = None
    result: dict[str, Any] = field(default_factory=dict)
    is_drill: bool = False
    updated_at: datetime | None = None
    # The execution's claim: which replica holds it and until when (the database's clock); how many
    # times it has been claimed (more than once: resumed after its replica stopped renewing the lease).
    lease_owner: str | None = None
    lease_until: datetime | None = None
    claims: int = 0

    @property
    def resumed(self) -> bool:
        """True when another replica claimed this execution before (it is being resumed, not started)."""
        return self.claims > 1


@dataclass(frozen=True)
class NewRequest:
    """What is needed to open a request.

    ``ttl`` is how long it may wait for approval (the database's clock decides). A drill that needs no
    approval is opened ``approved`` (``status``), to be claimed and run at once.
    """

    target: ServiceEnv
    kind: KindName
    requester_id: str
    channel_id: str
    emergency: bool
    reason: str
    plan: dict[str, Any]
    ttl: timedelta
    is_drill: bool = False
    status: RequestStatus = RequestStatus.pending


@dataclass(frozen=True)
class AuditEvent:
    """One append-only audit record."""

    event: str
    actor: str
    at: datetime
    request_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)
