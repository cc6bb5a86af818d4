"""Port for probing an application's health endpoint."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from bot.domain.secrets import SecretText


@dataclass(frozen=True)
class HealthResult:
    """What a health endpoint answered (status None: no answer at all); ``url`` as it may be shown (redacted)."""

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
    def get(self, url: SecretText | str) -> HealthResult:
        """Probe ``url``.

        Args:
            url: absolute https URL of the health endpoint; a key it carries is revealed to the HTTP call only.

        Returns:
            The status code, or None with the reason when nothing answered.
        """
