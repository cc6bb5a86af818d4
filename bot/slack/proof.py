"""The proof-after-rollback follow-up (a thread reply) and the card's line linking to it, as Block Kit data."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, SectionBlock

from bot.domain.recovery import CardProof, Evidence, Figures, Verdict, percent
from bot.domain.signals import TimeWindow
from bot.slack.blocks import to_dicts
from bot.slack.mrkdwn import CONTEXT_TEXT, MESSAGE_TEXT, date, escape, link, md, truncate

EMOJI = {
    Verdict.recovered: ":white_check_mark:",
    Verdict.not_yet: ":hourglass:",
    Verdict.worse: ":small_red_triangle:",
    Verdict.not_recovered: ":warning:",
}


def proof_text(evidence: Evidence | None, problem: str | None = None) -> str:
    """Notification fallback text."""
    if evidence is None:
        return truncate(escape(f"No proof after rollback: {problem or 'the signals could not be read'}"), MESSAGE_TEXT)
    return truncate(escape(f"Proof after rollback: {evidence.verdict.value}, {evidence.reason}"), MESSAGE_TEXT)


def build_proof(evidence: Evidence | None, problem: str | None = None) -> list[dict[str, Any]]:
    """The follow-up: the verdict, calls on the restored version, error rate and p95 before → after, the windows."""
    if evidence is None:
        why = escape(problem or "the signals could not be read")
        return to_dicts([SectionBlock(text=md(f":grey_question: *No proof after rollback*: {why}."))])
    before, after = evidence.before, evidence.after
    what = escape(evidence.subject.describe())
    reason = evidence.reason[:1].upper() + evidence.reason[1:]
    head = f"{EMOJI[evidence.verdict]} *Proof after rollback: {evidence.verdict.value}*. {escape(reason)}."
    lines = [
        f"*Calls on {what}*: {percent(before.share)} → {percent(after.share)}",
        f"*Error rate*: {_rate(before)} → {_rate(after)}",
        f"*p95 latency*: {_ms(before.p95_ms)} → {_ms(after.p95_ms)}",
    ]
    notes = [f"before: {_span(before.window)} · after: {_span(after.window)} · {escape(evidence.source)}"]
    notes += [f"{label}: {escape(f.partial)}" for label, f in (("before", before), ("after", after)) if f.partial]
    blocks: list[Block] = [
        SectionBlock(text=md(head)),
        SectionBlock(text=md("\n".join(lines))),
        ContextBlock(elements=[md(n, CONTEXT_TEXT) for n in notes]),
    ]
    return to_dicts(blocks)


def proof_line(proof: CardProof) -> str:
    """The card's line: ``Proof after rollback: watching the LLM signals until 09:21 UTC``, then the verdict
    linking to the follow-up."""
    if not proof.posted:
        until = f" until {date(proof.until)}" if proof.until else ""
        return f":mag: *Proof after rollback*: watching the LLM signals{until}"
    label = proof.verdict.value if proof.verdict else "no proof"
    emoji = EMOJI[proof.verdict] if proof.verdict else ":grey_question:"
    shown = link(proof.link, label) if proof.link else label
    return f"{emoji} *Proof after rollback*: {shown} (in the thread)"


def _rate(f: Figures) -> str:
    return f"{percent(f.error_rate)} ({f.errors} of {f.calls} calls)"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def _span(window: TimeWindow) -> str:
    return f"{date(window.start)} to {date(window.end)}"
