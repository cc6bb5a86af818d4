"""Port for Azure Container Apps jobs: the application's migration tool, run on demand (a down-migration).

Every method raises only errors from ``bot.errors`` (see ``bot.ports.azure``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from bot.domain.azure import JobContainer, JobExecution, JobRef


class JobsApi(ABC):
    """Azure Container Apps jobs: start an execution with a command, and follow it."""

    @abstractmethod
    def containers(self, ref: JobRef) -> list[JobContainer]:
        """The containers of the job's template (name and image)."""

    @abstractmethod
    def start(self, ref: JobRef, *, container: JobContainer, command: Sequence[str]) -> str:
        """Start one execution of the job with ``command`` in ``container`` (the rest of its template as is).

        Returns:
            The execution's name.
        """

    @abstractmethod
    def execution(self, ref: JobRef, name: str) -> JobExecution:
        """Read one execution (its status now)."""

    @abstractmethod
    def executions(self, ref: JobRef) -> list[JobExecution]:
        """Every execution of the job Azure still lists."""
