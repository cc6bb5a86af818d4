"""The App Home readiness board (pure Block Kit)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, SectionBlock
from slack_sdk.models.views import View

from bot.domain.catalog import Catalog
from bot.domain.facts import Facts
from bot.domain.freeze import Freeze
from bot.domain.readiness import ChecklistReport, DrillRecord
from bot.domain.rollback_requests import RollbackRequest
from bot.slack.checklist_blocks import EMOJI
from bot.slack.deploy_blocks import freeze_line
from bot.slack.facts import live_text
from bot.slack.ids import SlackId
from bot.slack.mrkdwn import CONTEXT_TEXT, TIME_SECONDS, date, escape, md, user

MAX_HOME_BLOCKS = 100


def _checklist_line(report: ChecklistReport | None) -> str:
    if report is None:
        return "*Last checklist*: never run (`/rollback checklist SERVICE ENV`)"
    marks = " ".join(EMOJI[r.status] for r in report.results)
    return f"*Last checklist* {date(report.at)}: {marks} ({report.overall.value})"


def _drill_line(drill: DrillRecord | None) -> str:
    if drill is None:
        return "*Last drill*: none recorded"
    if drill.passed and drill.time_to_rollback:
        outcome = f"passed in {drill.time_to_rollback:.1f} s"
    else:
        outcome = "failed" + ("" if drill.restored else ", NOT restored")
    return f"*Last drill* {date(drill.started_at)} ({escape(drill.kind)}): {outcome}"


def _request_line(request: RollbackRequest | None) -> str:
    if request is None:
        return "*Open request*: none"
    who = user(request.requester_id)
    return f"*Open request*: #{request.id} {escape(request.kind)} · {request.status.value} · by {who}"


def _age_line(as_of: datetime | None, now: datetime | None) -> str:
    if as_of is None:
        return ":hourglass_flowing_sand: Reading live state from Azure… this page updates itself when it is read."
    seconds = max(0, int(((now or as_of) - as_of).total_seconds()))
    return f"As of {date(as_of, TIME_SECONDS)} ({seconds} s ago); opening this tab again refreshes it when it is older."


def build_home(
    catalog: Catalog,
    boards: Sequence[tuple[str, Sequence[Facts], ChecklistReport | None, DrillRecord | None, RollbackRequest | None]],
    *,
    as_of: datetime | None = None,
    now: datetime | None = None,
    freezes: Mapping[str, Freeze] | None = None,
) -> dict[str, Any]:
    """Per service/environment: live state, last checklist, last drill, open request; and how old it is
    (``as_of``: when it was read; None with no boards: not read yet)."""
    blocks: list[Block] = [HeaderBlock(block_id=SlackId.home_header, text="Rollback readiness")]
    if not catalog.environments:
        blocks.append(SectionBlock(text=md("_No services are configured yet._")))
    elif as_of is not None or not boards:
        blocks.append(ContextBlock(elements=[md(_age_line(as_of, now))]))
    if not boards and as_of is None:  # not read yet: the environments, each to be read
        names = "\n".join(f"*{escape(str(p.target))}*: _reading…_" for p in catalog.environments)
        if names:
            blocks.append(SectionBlock(text=md(names)))
    for target, live, report, drill, request in boards:
        section = [
            DividerBlock(),
            SectionBlock(text=md(f"*{escape(target)}*\n" + (live_text(live) or "_nothing configured to read_"))),
            SectionBlock(text=md("\n".join([_checklist_line(report), _drill_line(drill), _request_line(request)]))),
        ]
        frozen = (freezes or {}).get(target)
        if frozen is not None:
            section.append(ContextBlock(elements=[md(freeze_line(frozen), CONTEXT_TEXT)]))
        if len(blocks) + len(section) + 1 > MAX_HOME_BLOCKS:
            blocks.append(ContextBlock(elements=[md("_More environments than fit; see `/rollback status`._")]))
            break
        blocks.extend(section)
    return View(type="home", blocks=blocks).to_dict()
