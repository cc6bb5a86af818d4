"""Port for the signal watches the bot keeps after rollbacks and drills (``bot.domain.watches``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.watches import NewWatch, Watch


class WatchStore(ABC):
    """Signal watches in the bot's database; a watch is scheduled once and claimed by one replica at a time."""

    @abstractmethod
    def schedule(self, new: NewWatch) -> Watch | None:
        """Store ``new``; None when its request or drill already has a watch."""

    @abstractmethod
    def claim_due(
        self, *, now: datetime, replica: str, lease_until: datetime, max_attempts: int, limit: int
    ) -> Sequence[Watch]:
        """Watches due at ``now``, unfinished, not held (lease passed) and below ``max_attempts``, each claimed
        by ``replica`` until ``lease_until`` (a conditional update: two replicas never claim the same one)."""

    @abstractmethod
    def retry_after(self, watch: Watch, until: datetime, problem: str) -> None:
        """Leave ``watch`` to be claimed again after ``until`` (the last problem is kept)."""

    @abstractmethod
    def finish(
        self, watch: Watch, *, evidence: dict[str, Any] | None, problem: str | None, message_ts: str | None
    ) -> None:
        """Record the outcome: the evidence (or why there is none) and the follow-up message, if one was posted."""

    @abstractmethod
    def outcome(self, *, request_id: int | None = None, drill_id: int | None = None) -> dict[str, Any] | None:
        """The finished watch of a request or drill: ``{"evidence", "problem", "message_ts"}``, else None."""
