"""Rollback requests and the closed sets they are made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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


@dataclass(frozen=True)
class NewRequest:
    """What is needed to open a request."""

    target: ServiceEnv
    kind: KindName
    requester_id: str
    channel_id: str
    emergency: bool
    reason: str
    plan: dict[str, Any]
    expires_at: datetime
    is_drill: bool = False


@dataclass(frozen=True)
class AuditEvent:
    """One append-only audit record."""

    event: str
    actor: str
    at: datetime
    request_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)
