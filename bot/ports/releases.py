"""Port for recorded releases and the drift alerts that were posted about them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

from bot.domain.releases import NewRelease, Release, ReleaseStatus
from bot.domain.rollback_requests import ServiceEnv


class ReleaseLog(ABC):
    """Releases of every service/environment (ids are global), and drift-alert claims shared by every replica."""

    @abstractmethod
    def record(self, new: NewRelease) -> Release:
        """Store a release; returns it with its id."""

    @abstractmethod
    def get(self, target: ServiceEnv, release_id: int) -> Release:
        """The release ``release_id`` of ``target``.

        Raises:
            NotFoundError: there is no such release of ``target``.
        """

    @abstractmethod
    def recent(self, target: ServiceEnv, *, limit: int = 20) -> Sequence[Release]:
        """``target``'s releases, newest first."""

    @abstractmethod
    def latest(self, target: ServiceEnv, *, status: ReleaseStatus | None = None) -> Release | None:
        """``target``'s newest release (of ``status``, when given)."""

    @abstractmethod
    def mark(self, target: ServiceEnv, release_id: int, status: ReleaseStatus, *, actor: str, at: datetime) -> Release:
        """Say whether a release was good or bad.

        Raises:
            NotFoundError: there is no such release of ``target``.
        """

    @abstractmethod
    def claim_drift(
        self,
        target: ServiceEnv,
        key: str,
        *,
        release_id: int,
        summary: str,
        replica: str,
        now: datetime,
        lease: datetime,
    ) -> bool:
        """Claim the alert for one drift (``key``): True for exactly one caller across replicas.

        A claim not marked posted by ``lease`` can be claimed again (its holder crashed or Slack refused the post).
        """

    @abstractmethod
    def drift_posted(self, target: ServiceEnv, keys: Sequence[str], *, at: datetime, channel: str, ts: str) -> None:
        """The alerts for ``keys`` were posted: they are never posted again."""

    @abstractmethod
    def release_drift(self, target: ServiceEnv, keys: Sequence[str], *, now: datetime) -> None:
        """Give up the claims on ``keys`` without posting (the post failed): the next check may claim them."""
