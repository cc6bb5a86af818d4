"""The request card and its thread over the Slack Web API (the bot's ``Notifier`` is ``QueuedNotifier`` around it).

``post_card`` and ``post_checklist`` are answered at once (the caller needs the message's ts).
``update_card`` and ``post_thread`` raise ``SlackDeliveryError`` saying whether another try makes sense
(and after how long, when Slack said): the card queue (``bot.adapters.card_queue``) retries them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError as SdkSlackApiError

from bot.domain.deploy import DeployProgress
from bot.domain.plan import Plan, StepResult
from bot.domain.readiness import ChecklistReport
from bot.domain.recovery import CardProof, Evidence
from bot.domain.releases import DriftReport, ItemDiff
from bot.domain.rollback_requests import RollbackRequest
from bot.domain.tree import FlowState
from bot.errors import SlackApiError, SlackDeliveryError
from bot.ports.notify import PostedMessage
from bot.slack.cards import build_card, build_thread, card_text
from bot.slack.checklist_blocks import build_checklist_details, build_checklist_summary, summary_text
from bot.slack.deploy_blocks import build_deploy, deploy_text
from bot.slack.mrkdwn import render
from bot.slack.proof import build_proof, proof_text
from bot.slack.release_blocks import build_drift, drift_text
from bot.text import Mention, Text

log = logging.getLogger("rollback_bot.notifier")

# Errors Slack answers while it is overloaded or restarting: the same call may succeed later.
RETRYABLE = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
# What a network without Slack raises (connection refused or reset, timeouts, a dropped response).
UNREACHABLE = (OSError, HTTPException)


def delivery_error(what: str, exc: Exception) -> SlackDeliveryError:
    """Classify a failed Web API call: Slack's Retry-After, transient errors and no network are retried."""
    if isinstance(exc, SdkSlackApiError):
        error = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
        status = exc.response.status_code
        retry_after = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
        retryable = status == 429 or status >= 500 or error in RETRYABLE
        wait = float(retry_after) if retry_after and str(retry_after).replace(".", "", 1).isdigit() else None
        return SlackDeliveryError(f"could not {what}: {error}", retry_after=wait, permanent=not retryable)
    return SlackDeliveryError(f"could not {what}: Slack unreachable ({type(exc).__name__})")


class SlackNotifier:
    """Posts the card with chat.postMessage, updates it in place with chat.update, details in its thread."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def post_card(self, request: RollbackRequest, plan: Plan[Any], *, approvers: Sequence[Mention]) -> str:
        """Post the card; its ts.

        Raises:
            SlackApiError: Slack refused it or could not be reached.
        """
        blocks = build_card(request, plan, approvers=approvers)
        try:
            response = self._client.chat_postMessage(channel=request.channel_id, text=card_text(request), blocks=blocks)
        except SdkSlackApiError as exc:
            raise SlackApiError(f"Could not post the request card: {exc.response.get('error')}") from None
        except UNREACHABLE as exc:
            raise SlackApiError(f"Could not post the request card: Slack unreachable ({type(exc).__name__})") from None
        return str(response["ts"])

    def update_card(
        self,
        request: RollbackRequest,
        plan: Plan[Any],
        *,
        steps: Sequence[StepResult] = (),
        note: Text | str = "",
        proof: CardProof | None = None,
    ) -> None:
        """Re-render the card in place (nothing when it was never posted).

        Raises:
            SlackDeliveryError: not delivered; says whether and when to try again.
        """
        if not request.message_ts:
            return
        blocks = build_card(request, plan, steps=steps, note=note, proof=proof)
        try:
            self._client.chat_update(
                channel=request.channel_id, ts=request.message_ts, text=card_text(request), blocks=blocks
            )
        except (SdkSlackApiError, *UNREACHABLE) as exc:
            raise delivery_error(f"update the card of request #{request.id}", exc) from None

    def post_thread(
        self,
        request: RollbackRequest,
        text: Text | str,
        *,
        lines: Sequence[str] = (),
        steps: Sequence[StepResult] = (),
    ) -> None:
        """Post in the card's thread.

        Raises:
            SlackDeliveryError: not delivered; says whether and when to try again.
        """
        blocks = build_thread(text, lines, steps)
        try:
            self._client.chat_postMessage(
                channel=request.channel_id, thread_ts=request.message_ts, text=render(text), blocks=blocks
            )
        except (SdkSlackApiError, *UNREACHABLE) as exc:
            raise delivery_error(f"post in the thread of request #{request.id}", exc) from None

    def post_proof(self, request: RollbackRequest, evidence: Evidence | None, problem: str | None) -> PostedMessage:
        """Post the proof after rollback in the card's thread; its ts and link.

        Raises:
            SlackApiError: Slack refused it or could not be reached (the watch retries later).
        """
        try:
            response = self._client.chat_postMessage(
                channel=request.channel_id,
                thread_ts=request.message_ts,
                text=proof_text(evidence, problem),
                blocks=build_proof(evidence, problem),
            )
        except SdkSlackApiError as exc:
            raise SlackApiError(f"Could not post the proof after rollback: {exc.response.get('error')}") from None
        except UNREACHABLE as exc:
            raise SlackApiError(f"Could not post the proof: Slack unreachable ({type(exc).__name__})") from None
        ts = str(response["ts"])
        try:
            link = self._client.chat_getPermalink(channel=request.channel_id, message_ts=ts).get("permalink")
        except (SdkSlackApiError, *UNREACHABLE) as exc:  # the card then names the verdict without a link
            log.warning("no permalink for the proof of request #%s: %s", request.id, delivery_error("link", exc))
            link = None
        return PostedMessage(ts, str(link) if link else None)

    def post_checklist(self, channel: str, report: ChecklistReport) -> str:
        """Post a checklist summary with its details in the thread; the summary's ts.

        Raises:
            SlackApiError: Slack refused it or could not be reached.
        """
        try:
            response = self._client.chat_postMessage(
                channel=channel, text=summary_text(report), blocks=build_checklist_summary(report)
            )
            self._client.chat_postMessage(
                channel=channel,
                thread_ts=str(response["ts"]),
                text="Commands and evidence",
                blocks=build_checklist_details(report),
            )
        except SdkSlackApiError as exc:
            raise SlackApiError(f"Could not post the checklist: {exc.response.get('error')}") from None
        except UNREACHABLE as exc:
            raise SlackApiError(f"Could not post the checklist: Slack unreachable ({type(exc).__name__})") from None
        return str(response["ts"])

    def post_drift(
        self, channel: str, report: DriftReport, diffs: Sequence[ItemDiff], *, rollback: FlowState | None
    ) -> str:
        try:
            response = self._client.chat_postMessage(
                channel=channel, text=drift_text(report), blocks=build_drift(report, diffs, rollback)
            )
        except SdkSlackApiError as exc:
            raise SlackApiError(f"Could not post the drift alert: {exc.response.get('error')}") from None
        except UNREACHABLE as exc:
            raise SlackApiError(f"Could not post the drift alert: Slack unreachable ({type(exc).__name__})") from None
        return str(response["ts"])

    def post_deploy(self, channel: str, run_id: int, progress: DeployProgress) -> str:
        """Post a deploy's progress message; its ts.

        Raises:
            SlackApiError: Slack refused it or could not be reached.
        """
        try:
            response = self._client.chat_postMessage(
                channel=channel, text=deploy_text(progress), blocks=build_deploy(run_id, progress)
            )
        except SdkSlackApiError as exc:
            raise SlackApiError(f"Could not post the deploy message: {exc.response.get('error')}") from None
        except UNREACHABLE as exc:
            raise SlackApiError(
                f"Could not post the deploy message: Slack unreachable ({type(exc).__name__})"
            ) from None
        return str(response["ts"])

    def update_deploy(self, channel: str, ts: str, run_id: int, progress: DeployProgress) -> None:
        """Re-render a deploy's progress message in place.

        Raises:
            SlackDeliveryError: not delivered; says whether and when to try again.
        """
        try:
            self._client.chat_update(
                channel=channel, ts=ts, text=deploy_text(progress), blocks=build_deploy(run_id, progress)
            )
        except (SdkSlackApiError, *UNREACHABLE) as exc:
            raise delivery_error(f"update the message of deploy #{run_id}", exc) from None

    def post_deploy_thread(
        self, channel: str, ts: str, run_id: int, text: Text | str, *, lines: Sequence[str] = ()
    ) -> None:
        """Post in a deploy message's thread.

        Raises:
            SlackDeliveryError: not delivered; says whether and when to try again.
        """
        try:
            self._client.chat_postMessage(
                channel=channel, thread_ts=ts, text=render(text), blocks=build_thread(text, lines)
            )
        except (SdkSlackApiError, *UNREACHABLE) as exc:
            raise delivery_error(f"post in the thread of deploy #{run_id}", exc) from None
