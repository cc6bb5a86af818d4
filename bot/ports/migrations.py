"""Port for reading the application's own migration head (read-only: the bot never migrates the application)."""

from __future__ import annotations

from abc import ABC, abstractmethod


class MigrationHead(ABC):
    """Where the application's migration tool records the revision its database is at."""

    @abstractmethod
    def head(self) -> str | None:
        """The recorded revision (several heads joined by ``+``), or None when none is recorded.

        Raises:
            StoreError: the database or its version table could not be read.
        """
