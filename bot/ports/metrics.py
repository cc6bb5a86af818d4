"""Port for operational metrics."""

from __future__ import annotations

from abc import ABC, abstractmethod

from bot.domain.rollback_requests import ServiceEnv


class Metrics(ABC):
    """Counters and timings; the adapter decides how they are exported.

    ``target`` labels a count with its service and environment; the adapter bounds them by the configuration
    (a target that is not configured is counted as ``other``), so no label can grow without limit.
    """

    @abstractmethod
    def count(self, name: str, *, target: ServiceEnv | None = None, **labels: str) -> None:
        """Increment the counter ``name`` with ``labels`` (and ``target``'s service and environment)."""

    @abstractmethod
    def observe(self, name: str, seconds: float, *, target: ServiceEnv | None = None, **labels: str) -> None:
        """Record a duration in seconds for ``name``."""
