"""Port for telling people in Slack what is happening to a request."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain.deploy import DeployProgress
from bot.domain.plan import Plan, StepResult
from bot.domain.readiness import ChecklistReport
from bot.domain.recovery import CardProof, Evidence
from bot.domain.releases import DriftReport, ItemDiff
from bot.domain.rollback_requests import RollbackRequest
from bot.domain.tree import FlowState
from bot.text import Mention, Text


@dataclass(frozen=True)
class PostedMessage:
    """A message the notifier posted: its ts, and a link to it when Slack gave one."""

    ts: str
    link: str | None = None


class Notifier(ABC):
    """Posts and updates the request card and its thread.

    ``update_card`` and ``post_thread`` never raise and never wait on Slack: an approval or an execution
    goes on whatever Slack does (the bot's implementation queues them and delivers them in the background).
    """

    @abstractmethod
    def post_card(self, request: RollbackRequest, plan: Plan[Any], *, approvers: Sequence[Mention]) -> str:
        """Post the request card in the request's channel, mentioning ``approvers`` (none: anyone may approve).

        Returns:
            The message ts of the card.

        Raises:
            SlackApiError: Slack refused the card or could not be reached.
        """

    @abstractmethod
    def update_card(
        self,
        request: RollbackRequest,
        plan: Plan[Any],
        *,
        steps: Sequence[StepResult] = (),
        note: Text | str = "",
        proof: CardProof | None = None,
    ) -> None:
        """Re-render the card in place for the request's current status, with per-step progress (and the proof
        after rollback: being watched, or its verdict linking to the follow-up)."""

    @abstractmethod
    def post_thread(
        self,
        request: RollbackRequest,
        text: Text | str,
        *,
        lines: Sequence[str] = (),
        steps: Sequence[StepResult] = (),
    ) -> None:
        """Post details in the card's thread: a sentence, the steps and checks with their results (rendered from
        the values, never as code), and ``lines`` shown verbatim (commands)."""

    @abstractmethod
    def post_proof(self, request: RollbackRequest, evidence: Evidence | None, problem: str | None) -> PostedMessage:
        """Post the proof after rollback (or why there is none) in the card's thread.

        Returns:
            The follow-up's ts and its link (for the card).

        Raises:
            SlackApiError: Slack refused the post (the caller retries later).
        """

    @abstractmethod
    def post_checklist(self, channel: str, report: ChecklistReport) -> str:
        """Post a checklist summary in ``channel`` with the commands and evidence in its thread.

        Returns:
            The message ts of the summary.
        """

    @abstractmethod
    def post_drift(
        self, channel: str, report: DriftReport, diffs: Sequence[ItemDiff], *, rollback: FlowState | None
    ) -> str:
        """Post ``diffs`` of ``report`` in ``channel``, with a button opening `/rollback` at ``rollback`` (if any).

        Returns:
            The message ts.
        """


class DeployMessages(ABC):
    """A deploy's one progress message in the deploy channel, updated in place, and its thread.

    ``update_deploy`` and ``post_deploy_thread`` never raise and never wait on Slack (queued, like card updates).
    """

    @abstractmethod
    def post_deploy(self, channel: str, run_id: int, progress: DeployProgress) -> str:
        """Post the progress message (with its Abort button while the deploy runs).

        Returns:
            The message ts.

        Raises:
            SlackApiError: Slack refused the message or could not be reached.
        """

    @abstractmethod
    def update_deploy(self, channel: str, ts: str, run_id: int, progress: DeployProgress) -> None:
        """Re-render the progress message in place (the newest progress wins; older ones are dropped)."""

    @abstractmethod
    def post_deploy_thread(
        self, channel: str, ts: str, run_id: int, text: Text | str, *, lines: Sequence[str] = ()
    ) -> None:
        """Post in the progress message's thread (the final state, an abort, a refusal)."""
