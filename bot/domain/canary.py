"""The deploy guard's LLM-signal gate: a new revision's error rate against the old revisions', from ``by_revision``.

The new revision passes when its error rate is at most ``max_error_rate_ratio`` times the old revisions'
(all of them together). Before both sides have ``min_calls`` calls the gate does not judge: it waits.
With no errors on the old side, any error on the new one fails (``ratio * 0`` is 0): a canary fails safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.recovery import percent
from bot.domain.signals import GroupCalls


class GateOutcome(StrEnum):
    """What the gate says now."""

    passed = "pass"
    failed = "fail"
    wait = "wait"


@dataclass(frozen=True)
class CanaryJudgement:
    """The gate's outcome, the two sides' counts and a sentence for the deploy message."""

    outcome: GateOutcome
    new_calls: int
    new_errors: int
    old_calls: int
    old_errors: int
    reason: str

    @property
    def new_rate(self) -> float | None:
        return self.new_errors / self.new_calls if self.new_calls else None

    @property
    def old_rate(self) -> float | None:
        return self.old_errors / self.old_calls if self.old_calls else None


def judge_canary(
    rows: Sequence[GroupCalls],
    *,
    new_revision: str,
    old_revisions: Iterable[str],
    max_error_rate_ratio: float,
    min_calls: int,
    baseline: Sequence[GroupCalls] = (),
) -> CanaryJudgement:
    """Judge ``new_revision`` in ``rows``; the old side comes from ``rows``, or from ``baseline`` (e.g. the window
    before the canary started) when the old revisions served fewer than ``min_calls`` calls in ``rows``."""
    old = set(old_revisions) - {new_revision}
    new_calls, new_errors = _sum(r for r in rows if r.group.value == new_revision)
    old_calls, old_errors = _sum(r for r in rows if r.group.value in old)
    if old_calls < min_calls and baseline:
        old_calls, old_errors = _sum(r for r in baseline if r.group.value in old)

    def outcome(kind: GateOutcome, reason: str) -> CanaryJudgement:
        return CanaryJudgement(kind, new_calls, new_errors, old_calls, old_errors, reason)

    if new_calls < min_calls or old_calls < min_calls:
        return outcome(
            GateOutcome.wait,
            f"{new_calls} calls on {new_revision} and {old_calls} on the previous revisions; "
            f"the gate judges from {min_calls} calls each",
        )
    new_rate, old_rate = new_errors / new_calls, old_errors / old_calls
    allowed = max_error_rate_ratio * old_rate
    figures = (
        f"{new_revision} error rate {percent(new_rate)} ({new_errors} of {new_calls}) against "
        f"{percent(old_rate)} ({old_errors} of {old_calls}) on the previous revisions"
    )
    if new_rate <= allowed:
        return outcome(GateOutcome.passed, f"{figures}: within {max_error_rate_ratio:g} times")
    return outcome(GateOutcome.failed, f"{figures}: above {max_error_rate_ratio:g} times ({percent(allowed)})")


def _sum(rows: Iterable[GroupCalls]) -> tuple[int, int]:
    calls = errors = 0
    for row in rows:
        calls += row.calls
        errors += row.errors
    return calls, errors
