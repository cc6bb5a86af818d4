"""Port to the prompt registry: the application's table of versioned system prompts."""

from __future__ import annotations

from abc import ABC, abstractmethod

from bot.domain.prompts import GuardStatus, PromptActivation, PromptVersion


class PromptStore(ABC):
    """Versioned prompts of one application; versions are immutable, one version per name is active.

    Every method raises ``StoreError`` when the prompts database fails or is unreachable.
    """

    @abstractmethod
    def names(self) -> list[str]:
        """List every prompt name.

        Returns:
            The distinct names, sorted.
        """

    @abstractmethod
    def versions(self, name: str) -> list[PromptVersion]:
        """List every version of a prompt.

        Args:
            name: the prompt's name.

        Returns:
            The versions, newest first.

        Raises:
            NotFoundError: there is no prompt called ``name``.
        """

    @abstractmethod
    def active(self, name: str) -> PromptVersion | None:
        """Return the active version of a prompt.

        Args:
            name: the prompt's name.

        Returns:
            The active version, or None when the prompt exists but no version is active.

        Raises:
            NotFoundError: there is no prompt called ``name``.
        """

    @abstractmethod
    def get(self, name: str, version: int) -> PromptVersion:
        """Return one version of a prompt.

        Args:
            name: the prompt's name.
            version: the version number.

        Returns:
            That version.

        Raises:
            NotFoundError: the prompt or the version does not exist (the message names both).
        """

    @abstractmethod
    def add(self, name: str, content: str, *, actor: str) -> PromptVersion:
        """Store a new, inactive version numbered one above the newest.

        Args:
            name: the prompt's name (a new name starts at version 1).
            content: the prompt text; never changed afterwards.
            actor: who adds it (for the log).

        Returns:
            The new version.

        Raises:
            UsageError: the name or the content is empty or too long.
        """

    @abstractmethod
    def activate(
        self, name: str, version: int, *, actor: str, reason: str, expected_active: int | None = None
    ) -> PromptActivation:
        """Make ``version`` the active version, atomically, and record it in the history.

        The current active version is locked and checked, deactivated, the target activated and the
        history row written in one transaction: readers see the old or the new active version, never
        none and never two.

        Args:
            name: the prompt's name.
            version: the version to activate.
            actor: who activates it.
            reason: why (stored in the history).
            expected_active: when given, the version the caller believes is active now.

        Returns:
            The activation as recorded.

        Raises:
            NotAllowedError: the guards are not in place (``guards()``); the message says how to restore them.
            NotFoundError: the prompt or the version does not exist.
            StalePlanError: ``expected_active`` is given and another version is active (nothing changed).
            UsageError: ``version`` is already active, or the reason or actor is empty.
        """

    @abstractmethod
    def history(self, name: str, limit: int = 20) -> list[PromptActivation]:
        """List the recorded activations of a prompt.

        Args:
            name: the prompt's name.
            limit: the most activations to return.

        Returns:
            The activations, newest first.

        Raises:
            NotFoundError: there is no prompt called ``name``.
        """

    @abstractmethod
    def activation_sql(self, name: str, version: int) -> tuple[str, ...]:
        """The SQL ``activate`` runs, as a person would type it (for plans and runbooks; never executed).

        Args:
            name: the prompt's name.
            version: the version to activate.

        Returns:
            The statements, one per item, with literals quoted.
        """

    @abstractmethod
    def guards(self) -> GuardStatus:
        """Read whether the database-side guards of the prompts table are in place (never changes anything).

        Returns:
            The status; when not ``ok``, its message says what is missing and the command that restores it.
        """

    @abstractmethod
    def ping(self) -> None:
        """Return quietly when the prompts table can be read.

        Raises:
            StoreError: the database is unreachable or the table is missing.
        """
