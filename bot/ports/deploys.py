"""Ports for deploys: freezes (which stop deploys, never rollbacks) and deploy runs (progress and abort).

Both live in the bot's database and use its clock: a freeze ends at its time on every replica, and an abort
asked on any replica is seen by the one running the deploy within one gate interval.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.freeze import Freeze
from bot.domain.rollback_requests import ServiceEnv


class FreezeStore(ABC):
    """At most one freeze per target; an expired one is as good as none."""

    @abstractmethod
    def freeze(self, target: ServiceEnv, *, who: str, reason: str, seconds: float) -> Freeze:
        """Freeze ``target`` from now (the database's clock) for ``seconds``, replacing any freeze it had."""

    @abstractmethod
    def unfreeze(self, target: ServiceEnv) -> Freeze | None:
        """End ``target``'s freeze now; the freeze that was active (None: there was none)."""

    @abstractmethod
    def active(self, target: ServiceEnv) -> Freeze | None:
        """``target``'s freeze if it has not ended yet."""

    @abstractmethod
    def all_active(self) -> Sequence[Freeze]:
        """Every freeze that has not ended yet."""


@dataclass(frozen=True)
class DeployRun:
    """A deploy as stored: its revision, where its progress message is, whether someone asked it to abort."""

    id: int
    target: ServiceEnv
    revision: str
    change: str
    actor: str
    started_at: datetime
    finished_at: datetime | None = None
    outcome: str | None = None
    channel: str | None = None
    message_ts: str | None = None
    abort_by: str | None = None
    abort_at: datetime | None = None


class DeployRuns(ABC):
    """Deploy runs: started, given their progress message, asked to abort (first person wins), finished."""

    @abstractmethod
    def start(self, target: ServiceEnv, *, revision: str, change: str, actor: str) -> DeployRun:
        """Store a new run."""

    @abstractmethod
    def set_message(self, run_id: int, *, channel: str, ts: str) -> None:
        """Remember where the run's progress message is."""

    @abstractmethod
    def request_abort(self, run_id: int, *, who: str) -> DeployRun:
        """Ask a running deploy to abort (the first request counts; later ones change nothing).

        Raises:
            NotFoundError: there is no such run.
        """

    @abstractmethod
    def get(self, run_id: int) -> DeployRun:
        """The run now.

        Raises:
            NotFoundError: there is no such run.
        """

    @abstractmethod
    def finish(self, run_id: int, *, outcome: str) -> None:
        """Record how the run ended."""
