"""Port for telling people in Slack what is happening to a request."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from bot.domain.plan import Plan, StepResult
from bot.domain.readiness import ChecklistReport
from bot.domain.recovery import Evidence
from bot.domain.rollback_requests import RollbackRequest
from bot.text import Mention, Text


class Notifier(ABC):
    """Posts and updates the request card and its thread."""

    @abstractmethod
    def post_card(self, request: RollbackRequest, plan: Plan[Any], *, approvers: Sequence[Mention]) -> str:
        """Post the request card in the request's channel, mentioning ``approvers`` (none: anyone may approve).

        Returns:
            The message ts of the card.
        """

    @abstractmethod
    def update_card(
        self, request: RollbackRequest, plan: Plan[Any], *, steps: Sequence[StepResult] = (), note: Text | str = ""
    ) -> None:
        """Re-render the card in place for the request's current status, with per-step progress."""

    @abstractmethod
    def post_thread(self, request: RollbackRequest, text: Text | str, *, lines: Sequence[str] = ()) -> None:
        """Post details (verification, errors, reconciliation) in the card's thread."""

    @abstractmethod
    def post_proof(self, request: RollbackRequest, evidence: Evidence | None, problem: str | None) -> str:
        """Post the proof after rollback (or why there is none) in the card's thread.

        Returns:
            The message ts of the follow-up.

        Raises:
            SlackApiError: Slack refused the post (the caller retries later).
        """

    @abstractmethod
    def post_checklist(self, channel: str, report: ChecklistReport) -> str:
        """Post a checklist summary in ``channel`` with the commands and evidence in its thread.

        Returns:
            The message ts of the summary.
        """
