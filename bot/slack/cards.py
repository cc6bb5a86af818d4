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
    MarkdownTextObject,
    SectionBlock,
)

from bot.domain.plan import Plan, StepResult
from bot.domain.recovery import CardProof
from bot.domain.rollback_requests import RequestStatus, RollbackRequest
from bot.slack.blocks import to_dicts
from bot.slack.ids import SlackId
from bot.slack.mrkdwn import escape, mention, render
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


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text[:3000])


def card_text(request: RollbackRequest) -> str:
    """Notification fallback text."""
    what = "Drill" if request.is_drill else "Rollback"
    return f"{what} #{request.id} {request.target} ({request.kind}): {STATUS_TEXT[request.status]}"


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
    fields = [
        _md(f"*Requested by*\n<@{request.requester_id}>"),
        _md(f"*Status*\n{STATUS_TEXT[request.status]}"),
        _md(f"*{before}*\n{escape(plan.current_text)}"),
        _md(f"*{after}*\n{escape(plan.desired_text)}"),
        _md(f"*Emergency*\n{'yes' if request.emergency else 'no'}"),
        _md(
            f"*Expires*\n<!date^{int(request.expires_at.timestamp())}^{{time}}|{request.expires_at:%H:%M} UTC>"
            if pending
            else f"*Approver*\n{f'<@{request.approver_id}>' if request.approver_id else '—'}"
        ),
    ]
    blocks: list[Block] = [
        HeaderBlock(
            text=f"{'Drill' if request.is_drill else 'Rollback'} #{request.id}: {request.target} · {request.kind}"[:150]
        ),
        SectionBlock(fields=fields),
        SectionBlock(text=_md(f"*Reason*\n{escape(request.reason)}")),
    ]
    blocks += _plan_blocks(request, plan)
    if steps:
        blocks.append(SectionBlock(text=_md("*Progress*\n" + "\n".join(_step_line(s) for s in steps))))
    if note:
        blocks.append(ContextBlock(elements=[_md(render(note))]))
    if proof is not None:
        blocks.append(ContextBlock(elements=[_md(proof_line(proof))]))
    if pending:
        who = approvers_text(approvers)
        blocks.append(ContextBlock(elements=[_md(f"Approvers: {who}. The requester cannot approve.")]))
        blocks.append(_buttons(request, plan))
    return to_dicts(blocks)


def _plan_blocks(request: RollbackRequest, plan: Plan[Any]) -> list[Block]:
    """The exact command; for a rollback, what it leaves behind and the command that undoes it."""
    blocks: list[Block] = []
    if plan.commands:
        blocks.append(SectionBlock(text=_md("*Command*\n```" + "\n".join(plan.commands)[:2800] + "```")))
    if plan.note and not request.is_drill:
        blocks.append(ContextBlock(elements=[_md(f":pushpin: {escape(plan.note)}")]))
    if plan.roll_forward and not request.is_drill:
        undo = "\n".join(plan.roll_forward)[:2700]
        blocks.append(
            SectionBlock(text=_md("*Roll forward* (restores the state before this rollback)\n```" + undo + "```"))
        )
    if plan.legacy:
        blocks.append(
            ContextBlock(elements=[_md("_Stored by an earlier version of rollback-bot: shown, never executed._")])
        )
    return blocks


def _state_labels(status: RequestStatus) -> tuple[str, str]:
    """How the two states read: 'now → after' while in flight, 'before → now' once rolled back."""
    if status is RequestStatus.succeeded:
        return "Before", "Now"
    if status.in_flight:
        return "Now", "After rollback"
    return "At request time", "Planned"


def _step_line(step: StepResult) -> str:
    return f"{':white_check_mark:' if step.ok else ':x:'} {step.name} · {step.seconds:.2f} s"


def _buttons(request: RollbackRequest, plan: Plan[Any]) -> ActionsBlock:
    ref = encode_request_ref(request.id)
    confirm = ConfirmObject(
        title="Approve this rollback?",
        text=escape(f"{plan.current_text} → {plan.desired_text}")[:300],
        confirm="Approve and run",
        deny="Back",
    )
    return ActionsBlock(
        block_id=SlackId.card_actions,
        elements=[
            ButtonElement(text="Approve", action_id=SlackId.approve, value=ref, style="primary", confirm=confirm),
            ButtonElement(text="Reject", action_id=SlackId.reject, value=ref, style="danger"),
            ButtonElement(text="Cancel (requester)", action_id=SlackId.cancel, value=ref),
        ],
    )


def build_thread(text: Text | str, lines: Sequence[str] = ()) -> list[dict[str, Any]]:
    """A thread reply: a sentence and optional detail lines."""
    blocks: list[Block] = [SectionBlock(text=_md(render(text)))]
    if lines:
        blocks.append(SectionBlock(text=_md("```" + "\n".join(lines)[:2900] + "```")))
    return to_dicts(blocks)


def build_history(requests: Sequence[RollbackRequest]) -> list[dict[str, Any]]:
    """`/rollback history`: recent requests, newest first."""
    if not requests:
        return to_dicts([SectionBlock(text=_md("No rollback requests yet."))])
    lines = [
        f"*#{r.id}* `{r.created_at:%m-%d %H:%M}` {r.kind} · {STATUS_TEXT[r.status]} · <@{r.requester_id}>"
        + (f" → <@{r.approver_id}>" if r.approver_id else "")
        for r in requests[:20]
    ]
    return to_dicts([HeaderBlock(text="Recent rollbacks"), SectionBlock(text=_md("\n".join(lines)))])
