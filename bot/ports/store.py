"""Ports for the bot's own durable state."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from bot.domain.model import AuditEvent, NewRequest, RollbackRequest, ServiceEnv


class RequestRepository(ABC):
    """Rollback requests, stored durably and shared by every replica."""

    @abstractmethod
    def add(self, new: NewRequest) -> RollbackRequest:
        """Store a new pending request.

        Raises:
            RollbackInProgressError: another request for the same service/environment is in flight.
        """

    @abstractmethod
    def get(self, request_id: int) -> RollbackRequest:
        """Return the request with ``request_id``.

        Raises:
            NotFoundError: there is no such request.
        """

    @abstractmethod
    def list_recent(self, *, target: ServiceEnv | None = None, limit: int = 20) -> Sequence[RollbackRequest]:
        """Most recent requests first, optionally for one service/environment."""


class AuditLog(ABC):
    """Append-only record of everything that happened."""

    @abstractmethod
    def append(self, event: AuditEvent) -> None:
        """Record one event; never updates or deletes."""

    @abstractmethod
    def list(self, *, request_id: int | None = None, limit: int = 100) -> Sequence[AuditEvent]:
        """Events in the order they were written, optionally for one request."""


class HealthCheck(ABC):
    """Readiness of a dependency."""

    @abstractmethod
    def ping(self) -> None:
        """Return quietly when reachable.

        Raises:
            StoreError: the dependency is unreachable.
        """
