"""Port for probing an application's health endpoint."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class HealthResult:
    """What a health endpoint answered (status None: no answer at all)."""

    url: str
    status: int | None
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True for HTTP 200."""
        return self.status == 200


class HealthProbe(ABC):
    """GETs a health URL with a short timeout; never raises for HTTP or network failures."""

    @abstractmethod
    def get(self, url: str) -> HealthResult:
        """Probe ``url``.

        Args:
            url: absolute https URL of the health endpoint.

        Returns:
            The status code, or None with the reason when nothing answered.
        """
