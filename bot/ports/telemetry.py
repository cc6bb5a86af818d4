"""Port for reading the application's LLM call log (checklist item 3)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PromptVersionCoverage:
    """How many LLM calls in a window carried a prompt version."""

    total: int
    with_version: int
    since: datetime

    @property
    def share(self) -> float | None:
        """Fraction of calls with a prompt version (None when there were no calls)."""
        return self.with_version / self.total if self.total else None


class TelemetryQuery(ABC):
    """Runs the configured query over the app's LLM call log."""

    @abstractmethod
    def prompt_version_coverage(self, *, since: datetime) -> PromptVersionCoverage:
        """Count LLM calls since ``since`` and those that logged a prompt version.

        Raises:
            StoreError: the log could not be queried (unreachable, bad query, wrong columns).
        """
