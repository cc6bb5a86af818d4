"""Block Kit for releases and drift (pure; every value from outside the bot escaped, every text within its limit)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, HeaderBlock, SectionBlock

from bot.domain.releases import DriftReport, ItemDiff, Release, ReleaseStatus
from bot.domain.rollback_requests import ServiceEnv
from bot.domain.tree import FlowState
from bot.slack.blocks import to_dicts
from bot.slack.ids import SlackId
from bot.slack.mrkdwn import (
    BUTTON_TEXT,
    BUTTON_VALUE,
    CONTEXT_TEXT,
    HEADER_TEXT,
    MESSAGE_TEXT,
    date,
    escape,
    md,
    plain,
    truncate,
)

STATUS = {
    ReleaseStatus.good: ":large_green_circle:",
    ReleaseStatus.bad: ":red_circle:",
    ReleaseStatus.unknown: ":white_circle:",
}
MAX_RELEASES = 20


def release_line(release: Release) -> str:
    """``*#7* <!date^…> :large_green_circle: good · cli by cli:alice · note`` (escaped)."""
    note = f" · {escape(release.note)}" if release.note else ""
    return (
        f"*#{release.id}* {date(release.recorded_at)} {STATUS[release.status]} {release.status.value} · "
        f"{escape(release.source)} by {escape(release.actor)}{note}"
    )


def build_releases(target: ServiceEnv, releases: Sequence[Release]) -> list[dict[str, Any]]:
    """`/rollback releases`: newest first, each with its layers."""
    blocks: list[Block] = [HeaderBlock(text=plain(f"Releases: {target}", HEADER_TEXT))]
    if not releases:
        blocks.append(
            SectionBlock(text=md("No release recorded yet: `rollback-bot release record SERVICE --env ENV`."))
        )
    for release in releases[:MAX_RELEASES]:
        layers = "\n".join(f"• *{escape(layer.kind)}* {escape(layer.text())}" for layer in release.layers)
        blocks.append(SectionBlock(text=md(f"{release_line(release)}\n{layers}")))
    mark = "Mark one: `rollback-bot release mark SERVICE --env ENV ID good|bad`."
    blocks.append(ContextBlock(elements=[md(mark, CONTEXT_TEXT)]))
    return to_dicts(blocks)


def drift_text(report: DriftReport) -> str:
    """Notification fallback text (escaped)."""
    since = f"release #{report.release.id}" if report.release else "the newest release"
    return truncate(escape(f"Drift on {report.target}: {', '.join(report.kinds)} moved since {since}"), MESSAGE_TEXT)


def _diff_line(diff: ItemDiff) -> str:
    was, now = escape(diff.recorded_text), escape(diff.live_text)
    return f"• *{escape(diff.kind)}* release `{was}` → now `{now}`"


def build_drift(report: DriftReport, diffs: Sequence[ItemDiff], rollback: FlowState | None) -> list[dict[str, Any]]:
    """What moved since the newest release (outside a deploy or a rollback), and a way back to the last good one."""
    release = report.release
    since = release.label if release else "the newest release"
    lines = "\n".join(_diff_line(d) for d in diffs)
    blocks: list[Block] = [
        HeaderBlock(text=plain(f"Drift: {report.target}", HEADER_TEXT)),
        SectionBlock(text=md(f"Live state moved away from {escape(since)}:\n{lines}")),
    ]
    if report.warnings:
        warnings = "\n".join(f":warning: {escape(w)}" for w in report.warnings)
        blocks.append(ContextBlock(elements=[md(warnings, CONTEXT_TEXT)]))
    value = rollback.encode() if rollback is not None else ""
    if rollback is not None and report.last_good is not None and len(value) <= BUTTON_VALUE:
        button = ButtonElement(
            text=truncate(f"Back to release #{report.last_good.id}…", BUTTON_TEXT),
            action_id=SlackId.drift_rollback,
            value=value,
            style="danger",
        )
        blocks.append(ActionsBlock(elements=[button]))
    target = report.target
    hint = (
        f"Whole report: `rollback-bot drift {escape(target.service)} --env {escape(target.environment)}`. "
        "Expected change? Record it: `rollback-bot release record`."
    )
    blocks.append(ContextBlock(elements=[md(hint, CONTEXT_TEXT)]))
    return to_dicts(blocks)
