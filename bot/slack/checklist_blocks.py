"""Block Kit for the pre-deploy checklist: a one-line-per-check summary, details in the thread (pure)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.domain.readiness import ChecklistReport, CheckResult, CheckStatus
from bot.slack.blocks import to_dicts

EMOJI = {CheckStatus.passed: ":white_check_mark:", CheckStatus.warn: ":warning:", CheckStatus.failed: ":x:"}


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text[:3000])


def summary_text(report: ChecklistReport) -> str:
    """Notification fallback text."""
    return f"Pre-deploy checklist {report.target}: {report.overall.value.upper()}"


def build_checklist_summary(report: ChecklistReport) -> list[dict[str, Any]]:
    """One line per check with its status and the gist of its evidence."""
    lines = [f"{EMOJI[r.status]} *{r.title}*: {r.summary}" for r in report.results]
    blocks: list[Block] = [
        HeaderBlock(text=f"Pre-deploy checklist: {report.target}"[:150]),
        SectionBlock(text=_md("\n".join(lines))),
        ContextBlock(
            elements=[
                _md(
                    f"Overall *{report.overall.value.upper()}* · checked {report.at:%Y-%m-%d %H:%M} UTC · "
                    "commands and evidence in the thread"
                )
            ]
        ),
    ]
    return to_dicts(blocks)


def _details(result: CheckResult) -> list[Block]:
    blocks: list[Block] = [SectionBlock(text=_md(f"{EMOJI[result.status]} *{result.title}*\n{result.summary}"))]
    if result.evidence:
        blocks.append(ContextBlock(elements=[_md("\n".join(f"• {e}" for e in result.evidence))]))
    if result.commands:
        blocks.append(SectionBlock(text=_md("```" + "\n".join(result.commands)[:2900] + "```")))
    return blocks


def build_checklist_details(report: ChecklistReport) -> list[dict[str, Any]]:
    """Evidence and exact rollback commands for every check (the thread reply)."""
    blocks: list[Block] = []
    for result in report.results:
        blocks.extend(_details(result))
    return to_dicts(blocks[:50])
