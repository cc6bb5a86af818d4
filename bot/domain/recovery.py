"""Proof after a rollback: the LLM signals before and after it, and a verdict, as pure values.

A rollback restores something: a revision (code), a prompt version (prompt) or a model version (model) —
its ``Group``. The bot reads the signals of a window before the rollback and a window of the same length
after it, and compares:

* the share of calls on the restored group (did calls move?);
* the error rate (errors / calls: every revision, or every version of that prompt / deployment);
* the p95 latency (per-revision p95s weighted by calls; only when ``by_revision`` is configured).

The verdict, in this order: **not yet** when too few calls came after the rollback to judge; **worse** when
the error rate rose (by more than a fifth and at least a percentage point); **not yet** when fewer than
90 % of the calls are on the restored group; **recovered** when the error rate at least halved or is at
most 1 %; otherwise **not recovered** (calls moved, errors did not fall).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.signals import Dimension, Group, GroupCalls, TimeWindow

MOVED_SHARE = 0.9
HEALTHY_ERROR_RATE = 0.01
RECOVERED_FACTOR = 0.5
WORSE_FACTOR = 1.2
WORSE_MIN_RISE = 0.01


class Verdict(StrEnum):
    """What the signals say about a rollback."""

    recovered = "recovered"
    not_yet = "not yet"
    worse = "worse"
    not_recovered = "not recovered"


@dataclass(frozen=True)
class Figures:
    """The signals of one window: calls in scope, their errors, calls on the restored group, p95."""

    window: TimeWindow
    calls: int
    errors: int
    on_subject: int | None
    p95_ms: float | None = None
    partial: str | None = None

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.calls if self.calls else None

    @property
    def share(self) -> float | None:
        """Share of calls on the restored group (None without calls or without a per-group query)."""
        return self.on_subject / self.calls if self.calls and self.on_subject is not None else None

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.window.start.isoformat(),
            "end": self.window.end.isoformat(),
            "calls": self.calls,
            "errors": self.errors,
            "on_subject": self.on_subject,
            "p95_ms": self.p95_ms,
            "partial": self.partial,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figures:
        window = TimeWindow(datetime.fromisoformat(data["start"]), datetime.fromisoformat(data["end"]))
        return cls(window, data["calls"], data["errors"], data["on_subject"], data["p95_ms"], data.get("partial"))


@dataclass(frozen=True)
class Evidence:
    """Before → after for one rollback, with the verdict and why."""

    subject: Group
    before: Figures
    after: Figures
    verdict: Verdict
    reason: str
    source: str

    def to_json(self) -> dict[str, Any]:
        """Stored with the watch and the drill (``v`` is the format)."""
        return {
            "v": 1,
            "subject": {
                "dimension": self.subject.dimension.value,
                "scope": self.subject.scope,
                "value": self.subject.value,
            },
            "before": self.before.to_json(),
            "after": self.after.to_json(),
            "verdict": self.verdict.value,
            "reason": self.reason,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Evidence:
        s = data["subject"]
        return cls(
            Group(Dimension(s["dimension"]), s["scope"], s["value"]),
            Figures.from_json(data["before"]),
            Figures.from_json(data["after"]),
            Verdict(data["verdict"]),
            data["reason"],
            data["source"],
        )


@dataclass(frozen=True)
class CardProof:
    """What the request card says about the proof: watched until ``until``; once ``posted``, the verdict (None:
    the follow-up says why there is none) with a link to the follow-up when Slack gave one."""

    until: datetime | None = None
    posted: bool = False
    verdict: Verdict | None = None
    link: str | None = None


def figures(
    subject: Group,
    window: TimeWindow,
    rows: Sequence[GroupCalls] | None,
    *,
    latency: Sequence[GroupCalls] | None = None,
    partial: str | None = None,
) -> Figures:
    """The window's figures from the subject's query rows (``None``: not configured, use ``latency``'s rows)."""
    in_scope = [r for r in (rows if rows is not None else latency or ()) if _in_scope(subject, r.group)]
    on_subject = sum(r.calls for r in in_scope if _is_subject(subject, r.group)) if rows is not None else None
    return Figures(
        window,
        calls=sum(r.calls for r in in_scope),
        errors=sum(r.errors for r in in_scope),
        on_subject=on_subject,
        p95_ms=weighted_p95(latency or ()),
        partial=partial,
    )


def weighted_p95(rows: Sequence[GroupCalls]) -> float | None:
    """Per-revision p95s weighted by calls (an approximation of the p95 of all calls)."""
    timed = [(r.calls, r.p95_ms) for r in rows if r.p95_ms is not None and r.calls]
    total = sum(calls for calls, _ in timed)
    return round(sum(calls * p95 for calls, p95 in timed) / total, 1) if total else None


def _in_scope(subject: Group, group: Group) -> bool:
    """Revisions: every one; prompt versions and models: those of the same prompt / deployment."""
    return (
        subject.dimension is Dimension.revision or group.dimension is Dimension.revision or group.scope == subject.scope
    )


def _is_subject(subject: Group, group: Group) -> bool:
    if group.dimension is not subject.dimension:
        return False
    if subject.dimension is Dimension.model:  # gpt-4o-2024-05-13 is the model version 2024-05-13
        return group.value == subject.value or group.value.endswith(f"-{subject.value}")
    return group.value == subject.value


def judge(subject: Group, before: Figures, after: Figures, *, min_calls: int) -> tuple[Verdict, str]:
    """The verdict and a sentence saying why (see the module docstring for the rules)."""
    what = subject.describe()
    if after.calls < min_calls:
        return Verdict.not_yet, f"only {after.calls} calls since the rollback (a verdict needs {min_calls})"
    rate_after = after.error_rate or 0.0
    rate_before = before.error_rate
    change = f"error rate {percent(rate_before)} → {percent(rate_after)}"
    if (
        rate_before is not None
        and rate_after > rate_before * WORSE_FACTOR
        and rate_after - rate_before >= WORSE_MIN_RISE
    ):
        return Verdict.worse, f"the {change} rose after the rollback"
    share = after.share
    if share is not None and share < MOVED_SHARE:
        return Verdict.not_yet, f"only {percent(share)} of calls are on {what} so far"
    improved = rate_before is not None and rate_after <= rate_before * RECOVERED_FACTOR
    if improved or rate_after <= HEALTHY_ERROR_RATE:
        return Verdict.recovered, f"{change}" + (
            f" with {percent(share)} of calls on {what}" if share is not None else ""
        )
    return Verdict.not_recovered, f"{change}: the rollback did not bring the errors down"


def percent(value: float | None) -> str:
    """``12.5 %``; ``n/a`` when there is nothing to divide."""
    return "n/a" if value is None else f"{value * 100:.1f} %"
