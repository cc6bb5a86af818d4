"""The dialog a decision on the card opens: Reject asks why first (pure, validated on build)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    InputBlock,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain.rollback_requests import RollbackRequest
from bot.slack.ids import SlackId
from bot.slack.mrkdwn import CONTEXT_TEXT, escape, md, mention
from bot.slack.payloads import encode_request_ref
from bot.text import Mention


def build_reject_view(request: RollbackRequest) -> dict[str, Any]:
    """Reject asks first, as Approve does: which request, and why (the card and the audit log show it)."""
    what = f"{escape(str(request.target))} · {escape(request.kind)}"
    blocks: list[Block] = [
        SectionBlock(
            text=md(
                f"Reject request *#{request.id}* ({what}) by {mention(Mention.user(request.requester_id))}? "
                "It will not run; the card shows who rejected it and why."
            )
        ),
        ContextBlock(elements=[md(f"*Their reason:* {escape(request.reason)}", CONTEXT_TEXT)]),
        InputBlock(
            block_id=SlackId.reject_reason_block,
            label="Why reject it?",
            element=PlainTextInputElement(
                action_id=SlackId.reject_reason_input,
                max_length=1000,
                placeholder="e.g. v2 is fine; the errors come from the model",
            ),
        ),
    ]
    view = View(
        type="modal",
        callback_id=SlackId.reject_view.value,
        title=PlainTextObject(text="Reject request"),
        submit=PlainTextObject(text="Reject"),
        close=PlainTextObject(text="Back"),
        private_metadata=encode_request_ref(request.id, channel_id=request.channel_id),
        blocks=blocks,
    )
    return view.to_dict()
