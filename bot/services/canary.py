"""The deploy guard's LLM-signal gate (``bot.domain.canary``) read from the environment's telemetry.

    judgement = canary_gate(telemetry, new_revision="app--v3", old_revisions=["app--v2"],
                            window=TimeWindow.ending(now, step), baseline=TimeWindow.ending(started, step),
                            max_error_rate_ratio=1.5, min_calls=50)

``None`` when the telemetry has no ``by_revision`` query: the gate does not apply (health gates still do).
A failed query raises (``TelemetryError``, ``AzureError``): the caller decides, and a canary fails safe.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from bot.domain.canary import CanaryJudgement, GateOutcome, judge_canary
from bot.domain.signals import Dimension, GroupCalls, SignalQuery, TimeWindow
from bot.ports.telemetry import TelemetryQuery

DEFAULT_MIN_CALLS = 50


def canary_gate(
    telemetry: TelemetryQuery | None,
    *,
    new_revision: str,
    old_revisions: Iterable[str],
    window: TimeWindow,
    max_error_rate_ratio: float,
    min_calls: int = DEFAULT_MIN_CALLS,
    baseline: TimeWindow | None = None,
) -> CanaryJudgement | None:
    """Judge ``new_revision`` over ``window`` (the old side from ``baseline`` when it served too little in it).

    A partial result never passes: the gate waits for a complete one.
    """
    if telemetry is None or not telemetry.has(SignalQuery.by_revision):
        return None
    old = tuple(old_revisions)
    rows, partial = telemetry.calls_by(Dimension.revision, window, revision=new_revision)
    earlier: tuple[GroupCalls, ...] = ()
    old_calls = sum(r.calls for r in rows if r.group.value in old)
    if baseline is not None and old_calls < min_calls:
        earlier, _ = telemetry.calls_by(Dimension.revision, baseline, revision=new_revision)
    judgement = judge_canary(
        rows,
        new_revision=new_revision,
        old_revisions=old,
        max_error_rate_ratio=max_error_rate_ratio,
        min_calls=min_calls,
        baseline=earlier,
    )
    if partial:
        outcome = GateOutcome.wait if judgement.outcome is GateOutcome.passed else judgement.outcome
        return replace(judgement, outcome=outcome, reason=f"{judgement.reason}; {partial}")
    return judgement
