"""Notifier over the Slack Web API: the request card and its thread."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError as SdkSlackApiError

from bot.domain.plan import Plan, StepResult
from bot.domain.readiness import ChecklistReport
from bot.domain.recovery import CardProof, Evidence
from bot.domain.rollback_requests import RollbackRequest
from bot.errors import SlackApiError
from bot.ports.notify import Notifier, PostedMessage
from bot.slack.cards import build_card, build_thread, card_text
from bot.slack.checklist_blocks import build_checklist_details, build_checklist_summary, summary_text
from bot.slack.mrkdwn import render
from bot.slack.proof import build_proof, proof_text
from bot.text import Mention, Text

log = logging.getLogger("rollback_bot.notifier")


class SlackNotifier(Notifier):
    """Posts the card with chat.postMessage, updates it in place with chat.update, details in its thread."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def post_card(self, request: RollbackRequest, plan: Plan[Any], *, approvers: Sequence[Mention]) -> str:
        try:
            response = self._client.chat_postMessage(
                channel=request.channel_id,
                text=card_text(request),
                blocks=build_card(request, plan, approvers=approvers),
            )
        except SdkSlackApiError as exc:
            raise SlackApiError(f"Could not post the request card: {exc.response.get('error')}") from None
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
        if not request.message_ts:
            return
        try:
            self._client.chat_update(
                channel=request.channel_id,
                ts=request.message_ts,
                text=card_text(request),
                blocks=build_card(request, plan, steps=steps, note=note, proof=proof),
            )
        except SdkSlackApiError as exc:
            # The card is a view of the database, which stays right; a failed refresh must not fail the rollback.
            log.warning("could not update the card of request #%s: %s", request.id, exc.response.get("error"))

    def post_thread(self, request: RollbackRequest, text: Text | str, *, lines: Sequence[str] = ()) -> None:
        try:
            self._client.chat_postMessage(
                channel=request.channel_id,
                thread_ts=request.message_ts,
                text=render(text),
                blocks=build_thread(text, lines),
            )
        except SdkSlackApiError as exc:
            log.warning("could not post in the thread of request #%s: %s", request.id, exc.response.get("error"))

    def post_proof(self, request: RollbackRequest, evidence: Evidence | None, problem: str | None) -> PostedMessage:
        try:
            response = self._client.chat_postMessage(
                channel=request.channel_id,
                thread_ts=request.message_ts,
                text=proof_text(evidence, problem),
                blocks=build_proof(evidence, problem),
            )
        except SdkSlackApiError as exc:
            raise SlackApiError(f"Could not post the proof after rollback: {exc.response.get('error')}") from None
        ts = str(response["ts"])
        try:
            link = self._client.chat_getPermalink(channel=request.channel_id, message_ts=ts).get("permalink")
        except SdkSlackApiError as exc:  # the card then names the verdict without a link
            log.warning("no permalink for the proof of request #%s: %s", request.id, exc.response.get("error"))
            link = None
        return PostedMessage(ts, str(link) if link else None)

    def post_checklist(self, channel: str, report: ChecklistReport) -> str:
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
        return str(response["ts"])
