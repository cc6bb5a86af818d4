"""Block Kit for the pre-deploy checklist: a one-line-per-check summary, details in the thread (pure)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, SectionBlock

from bot.domain.readiness import ChecklistReport, CheckResult, CheckStatus
from bot.slack.blocks import to_dicts
from bot.slack.deploy_blocks import freeze_line
from bot.slack.mrkdwn import CONTEXT_TEXT, HEADER_TEXT, MESSAGE_TEXT, code, date, escape, md, plain, truncate

EMOJI = {CheckStatus.passed: ":white_check_mark:", CheckStatus.warn: ":warning:", CheckStatus.failed: ":x:"}


def summary_text(report: ChecklistReport) -> str:
    """Notification fallback text."""
    return truncate(f"Pre-deploy checklist {escape(str(report.target))}: {report.overall.value.upper()}", MESSAGE_TEXT)


def build_checklist_summary(report: ChecklistReport) -> list[dict[str, Any]]:
    """One line per check with its status and the gist of its evidence."""
    lines = [f"{EMOJI[r.status]} *{escape(r.title)}*: {escape(r.summary)}" for r in report.results]
    blocks: list[Block] = [
        HeaderBlock(text=plain(f"Pre-deploy checklist: {report.target}", HEADER_TEXT)),
        SectionBlock(text=md("\n".join(lines))),
        ContextBlock(
            elements=[
                md(
                    f"Overall *{report.overall.value.upper()}* · checked {date(report.at)} · "
                    "commands and evidence in the thread"
                )
            ]
        ),
    ]
    if report.freeze is not None:
        blocks.append(ContextBlock(elements=[md(freeze_line(report.freeze), CONTEXT_TEXT)]))
    return to_dicts(blocks)


def _details(result: CheckResult) -> list[Block]:
    head = f"{EMOJI[result.status]} *{escape(result.title)}*\n{escape(result.summary)}"
    blocks: list[Block] = [SectionBlock(text=md(head))]
    if result.evidence:
        evidence = "\n".join(f"• {escape(e)}" for e in result.evidence)
        blocks.append(ContextBlock(elements=[md(evidence, CONTEXT_TEXT)]))
    if result.commands:
        blocks.append(SectionBlock(text=md(code(result.commands))))
    return blocks


def build_checklist_details(report: ChecklistReport) -> list[dict[str, Any]]:
    """Evidence and exact rollback commands for every check (the thread reply)."""
    blocks: list[Block] = []
    for result in report.results:
        blocks.extend(_details(result))
    return to_dicts(blocks[:50])
