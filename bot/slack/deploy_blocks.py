"""Block Kit of a deploy's progress message and of freezes (pure; every outside value escaped, within limits)."""

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

from bot.domain.deploy import DeployProgress, DeployState
from bot.domain.freeze import Freeze
from bot.slack.blocks import to_dicts
from bot.slack.ids import SlackId
from bot.slack.mrkdwn import BUTTON_TEXT, CONTEXT_TEXT, HEADER_TEXT, MESSAGE_TEXT, escape, md, plain, render, truncate

ICON = {
    DeployState.promoted: ":large_green_circle:",
    DeployState.rolled_back: ":leftwards_arrow_with_hook:",
    DeployState.rolling_back: ":leftwards_arrow_with_hook:",
    DeployState.failed: ":red_circle:",
}


def deploy_text(progress: DeployProgress) -> str:
    """Notification fallback text (escaped)."""
    return truncate(
        f"Deploy {escape(progress.target)}: {escape(progress.revision)} {progress.state.value}, "
        f"{progress.weight} % ({progress.step_text})",
        MESSAGE_TEXT,
    )


def build_deploy(run_id: int, progress: DeployProgress) -> list[dict[str, Any]]:
    """Revision, change, step, weight, gate evidence and elapsed time; Abort while the deploy can still stop."""
    icon = ICON.get(progress.state, ":hourglass_flowing_sand:")
    steps = " → ".join(f"*{s} %*" if i + 1 == progress.step else f"{s} %" for i, s in enumerate(progress.steps))
    fields = (
        f"{icon} *{escape(progress.state.value)}* · {escape(progress.step_text)} · *{progress.weight} %* on "
        f"`{escape(progress.revision)}` · {progress.elapsed_seconds:.0f} s\n"
        f"Change: {escape(progress.change)}\nSteps: {steps}"
    )
    blocks: list[Block] = [
        HeaderBlock(text=plain(f"Deploy #{run_id}: {progress.target}", HEADER_TEXT)),
        SectionBlock(text=md(fields)),
    ]
    if progress.note:
        blocks.append(SectionBlock(text=md(escape(progress.note))))
    if progress.evidence:
        lines = "\n".join(f"• {escape(e)}" for e in progress.evidence)
        blocks.append(ContextBlock(elements=[md(lines, CONTEXT_TEXT)]))
    if not progress.state.finished and progress.state is not DeployState.rolling_back:
        button = ButtonElement(
            text=truncate("Abort deploy", BUTTON_TEXT),
            action_id=SlackId.deploy_abort,
            value=str(run_id),
            style="danger",
            confirm=ConfirmObject(
                title="Abort this deploy?",
                text="Traffic goes back to what served before the deploy; the new revision stays at 0 %.",
                confirm="Abort",
                deny="Keep going",
            ),
        )
        blocks.append(ActionsBlock(block_id=SlackId.deploy_actions, elements=[button]))
    return to_dicts(blocks)


def freeze_line(freeze: Freeze) -> str:
    """``:snowflake: Deploys frozen by @alice until … : reason`` (the reason escaped)."""
    return f":snowflake: Deploys {render(freeze.describe())}"  # render escapes the reason, keeps the mention


def freeze_blocks(freezes: Sequence[Freeze]) -> list[Block]:
    """One context line per freeze (none: nothing)."""
    return [ContextBlock(elements=[md(freeze_line(f), CONTEXT_TEXT)]) for f in freezes]
