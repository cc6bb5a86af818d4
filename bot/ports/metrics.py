"""Port for operational metrics."""

from __future__ import annotations

from abc import ABC, abstractmethod


class Metrics(ABC):
    """Counters and timings; the adapter decides how they are exported."""

    @abstractmethod
    def count(self, name: str, **labels: str) -> None:
        """Increment the counter ``name`` with ``labels``."""

    @abstractmethod
    def observe(self, name: str, seconds: float, **labels: str) -> None:
        """Record a duration in seconds for ``name``."""
