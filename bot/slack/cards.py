"""The request card (visible to the channel) and its thread messages (pure, validated on build)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    SectionBlock,
)

from bot.domain.plan import Plan, StepResult
from bot.domain.recovery import CardProof
from bot.domain.rollback_requests import RequestStatus, RollbackRequest
from bot.slack.blocks import to_dicts
from bot.slack.ids import SlackId
from bot.slack.mrkdwn import (
    BUTTON_TEXT,
    CONFIRM_TEXT,
    CONFIRM_TITLE,
    CONTEXT_TEXT,
    FIELD_TEXT,
    HEADER_TEXT,
    MESSAGE_TEXT,
    code,
    date,
    escape,
    link,
    md,
    mention,
    plain,
    render,
    truncate,
    user,
)
from bot.slack.payloads import encode_request_ref
from bot.slack.proof import proof_line
from bot.text import Mention, Text

STATUS_TEXT = {
    RequestStatus.pending: ":hourglass: Waiting for approval",
    RequestStatus.approved: ":white_check_mark: Approved",
    RequestStatus.executing: ":arrows_counterclockwise: Executing",
    RequestStatus.succeeded: ":large_green_circle: Succeeded",
    RequestStatus.failed: ":red_circle: Failed",
    RequestStatus.rejected: ":no_entry_sign: Rejected",
    RequestStatus.cancelled: ":heavy_multiplication_x: Cancelled",
    RequestStatus.expired: ":alarm_clock: Expired",
}


def card_text(request: RollbackRequest) -> str:
    """Notification fallback text."""
    what = "Drill" if request.is_drill else "Rollback"
    text = f"{what} #{request.id} {escape(str(request.target))} ({escape(request.kind)}): {STATUS_TEXT[request.status]}"
    return truncate(text, MESSAGE_TEXT)


def approvers_text(approvers: Sequence[Mention]) -> str:
    """Whom the card pings."""
    return " ".join(mention(a) for a in approvers) or "anyone on the team except the requester"


def build_card(
    request: RollbackRequest,
    plan: Plan[Any],
    *,
    approvers: Sequence[Mention] = (),
    steps: Sequence[StepResult] = (),
    note: Text | str = "",
    proof: CardProof | None = None,
) -> list[dict[str, Any]]:
    """The request card: who, what, current → target, expiry, progress, roll-forward, buttons while pending, and
    the proof after rollback (being watched, then its verdict linking to the follow-up)."""
    pending = request.status is RequestStatus.pending
    before, after = _state_labels(request.status)
    who = user(request.approver_id) if request.approver_id else "—"
    decided = f"*{'Rejected by' if request.status is RequestStatus.rejected else 'Approved by'}*\n{who}"
    fields = [
        md(f"*Requested by*\n{user(request.requester_id)}", FIELD_TEXT),
        md(f"*Status*\n{STATUS_TEXT[request.status]}", FIELD_TEXT),
        md(f"*{before}*\n{escape(plan.current_text)}", FIELD_TEXT),
        md(f"*{after}*\n{escape(plan.desired_text)}", FIELD_TEXT),
        md(f"*Emergency*\n{'yes' if request.emergency else 'no'}", FIELD_TEXT),
        md(f"*Expires*\n{date(request.expires_at)}" if pending else decided, FIELD_TEXT),
    ]
    what = "Drill" if request.is_drill else "Rollback"
    blocks: list[Block] = [
        HeaderBlock(text=plain(f"{what} #{request.id}: {request.target} · {request.kind}", HEADER_TEXT)),
        SectionBlock(fields=fields),
        SectionBlock(text=md(f"*Reason*\n{escape(request.reason)}")),
    ]
    blocks += _plan_blocks(request, plan)
    if steps:
        blocks.append(SectionBlock(text=md("*Progress*\n" + "\n".join(_step_line(s) for s in steps))))
    if note:
        blocks.append(ContextBlock(elements=[md(render(note), CONTEXT_TEXT)]))
    if proof is not None:
        blocks.append(ContextBlock(elements=[md(proof_line(proof), CONTEXT_TEXT)]))
    if pending:
        who = approvers_text(approvers)
        blocks.append(
            ContextBlock(
                elements=[
                    md(
                        f"Approvers: {who}. The requester cannot approve; they can cancel "
                        + ("" if request.is_drill else "from their private confirmation or ")
                        + f"with `/rollback cancel {request.id}`.",
                        CONTEXT_TEXT,
                    )
                ]
            )
        )
        blocks.append(_buttons(request, plan))
    return to_dicts(blocks)


def _plan_blocks(request: RollbackRequest, plan: Plan[Any]) -> list[Block]:
    """The exact command; for a rollback, what it leaves behind and the command that undoes it."""
    blocks: list[Block] = []
    if plan.commands:
        blocks.append(SectionBlock(text=md("*Command*\n" + code(plan.commands, 2800))))
    if plan.note and not request.is_drill:
        blocks.append(ContextBlock(elements=[md(f":pushpin: {escape(plan.note)}", CONTEXT_TEXT)]))
    if plan.roll_forward and not request.is_drill:
        undo = code(plan.roll_forward, 2700)
        blocks.append(SectionBlock(text=md("*Roll forward* (restores the state before this rollback)\n" + undo)))
    if plan.legacy:
        blocks.append(
            ContextBlock(elements=[md("_Stored by an earlier version of rollback-bot: shown, never executed._")])
        )
    return blocks


def _state_labels(status: RequestStatus) -> tuple[str, str]:
    """How the two states read: 'now → after' while in flight, 'before → now' once rolled back."""
    if status is RequestStatus.succeeded:
        return "Before", "Now"
    if status.in_flight:
        return "Now", "After rollback"
    return "At request time", "Planned"


def _step_line(step: StepResult, *, detail: bool = False) -> str:
    """``✅ *verify traffic* · 0.12 s · live traffic: v1: 100 %`` (the detail only in the thread)."""
    line = f"{':white_check_mark:' if step.ok else ':x:'} *{escape(step.name)}* · {step.seconds:.2f} s"
    return line + (f" · {escape(step.detail)}" if detail and step.detail else "")


def _buttons(request: RollbackRequest, plan: Plan[Any]) -> ActionsBlock:
    ref = encode_request_ref(request.id)
    confirm = ConfirmObject(
        title="Approve this rollback?",
        text=md(escape(f"{plan.current_text} → {plan.desired_text}"), CONFIRM_TEXT),
        confirm="Approve and run",
        deny="Back",
    )
    return ActionsBlock(
        block_id=SlackId.card_actions,
        elements=[
            ButtonElement(text="Approve", action_id=SlackId.approve, value=ref, style="primary", confirm=confirm),
            ButtonElement(text="Reject…", action_id=SlackId.reject, value=ref, style="danger"),
        ],
    )


def posted_text(request: RollbackRequest) -> str:
    """Notification fallback of the requester's private confirmation."""
    return truncate(f"Request #{request.id} is posted; it runs as soon as a second person approves it.", MESSAGE_TEXT)


def build_request_posted(request: RollbackRequest, permalink: str | None) -> list[dict[str, Any]]:
    """The requester's private confirmation once the modal closes: where the card is (a link to it) and the
    Cancel button, which only the requester sees (a message only they can see)."""
    card = link(permalink, "open the card") if permalink else f"in {mention(Mention.channel(request.channel_id))}"
    what = f"{escape(str(request.target))} · {escape(request.kind)}"
    confirm = ConfirmObject(
        title=plain(f"Cancel request #{request.id}?", CONFIRM_TITLE),
        text=md("It will not run; the card says it was cancelled.", CONFIRM_TEXT),
        confirm="Cancel the request",
        deny="Keep it",
    )
    blocks: list[Block] = [
        SectionBlock(
            text=md(
                f":white_check_mark: Request *#{request.id}* ({what}) is posted: {card}. "
                "It runs as soon as a second person approves it; the card shows each step."
            )
        ),
        ActionsBlock(
            block_id=SlackId.posted_actions,
            elements=[
                ButtonElement(
                    text=plain("Cancel my request", BUTTON_TEXT),
                    action_id=SlackId.cancel,
                    value=encode_request_ref(request.id),
                    confirm=confirm,
                )
            ],
        ),
    ]
    return to_dicts(blocks)


def build_thread(text: Text | str, lines: Sequence[str] = (), steps: Sequence[StepResult] = ()) -> list[dict[str, Any]]:
    """A thread reply: a sentence, each step and check as one line of a compact table (mark, name, duration,
    what it found, in words), and optional verbatim lines (commands) in a code block."""
    blocks: list[Block] = [SectionBlock(text=md(render(text)))]
    if steps:
        blocks.append(SectionBlock(text=md("\n".join(_step_line(s, detail=True) for s in steps[:40]))))
    if lines:
        blocks.append(SectionBlock(text=md(code(lines))))
    return to_dicts(blocks)


def build_history(requests: Sequence[RollbackRequest]) -> list[dict[str, Any]]:
    """`/rollback history`: recent requests, newest first."""
    if not requests:
        return to_dicts([SectionBlock(text=md("No rollback requests yet."))])
    lines = [
        f"*#{r.id}* {date(r.created_at)} {escape(r.kind)} · {STATUS_TEXT[r.status]} · {user(r.requester_id)}"
        + (
            f" · {'rejected' if r.status is RequestStatus.rejected else 'approved'} by {user(r.approver_id)}"
            if r.approver_id
            else ""
        )
        for r in requests[:20]
    ]
    return to_dicts([HeaderBlock(text="Recent rollbacks"), SectionBlock(text=md("\n".join(lines)))])
