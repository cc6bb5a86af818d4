"""The likely culprit of 'what changed?', chosen by evidence and saying why (pure).

Changes made within ``TOGETHER`` of each other are one **moment** (a deploy that ships a revision, a prompt
and a model at once). Two kinds of evidence, in this order:

1. **Error onset** (when the application's telemetry is configured): the error rate of the LLM calls in each
   stretch of time between consecutive moments. A moment after which the rate rose clearly (at least
   ``RISE_RATIO`` times the stretch before it, and by at least ``RISE_POINTS``), with at least ``MIN_CALLS``
   calls on both sides to tell, is an onset; the culprit is the change at the most recent onset.
2. **A failing layer**: the most recent change to a layer whose own health is failing now (e.g. the revision
   that serves traffic is unhealthy).

Without either, nothing points anywhere and nothing is preselected: a guess misleads more than it helps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from bot.domain.kinds import KindName
from bot.domain.plan import ChangeEvent

RISE_RATIO = 1.5
RISE_POINTS = 0.02
MIN_CALLS = 5
TOGETHER = timedelta(minutes=2)
MAX_STRETCHES = 6  # the newest moments looked at (one telemetry query per stretch)


@dataclass(frozen=True)
class Culprit:
    """The change the evidence points at: its kind, what the evidence is, the change itself, and the kinds that
    changed in the same moment (its own first)."""

    kind: KindName
    evidence: str
    change: str
    together: tuple[KindName, ...] = ()
    onset: bool = True

    @property
    def reason(self) -> str:
        """One line: ``errors rose from 2.5 % to 26 % of LLM calls right after this change (new revision …)``, or
        ``app--v2 serves 100 % and is Unhealthy; the most recent change to it: new revision …``."""
        if self.onset:
            return f"{self.evidence} right after this change ({self.change})"
        return f"{self.evidence}; the most recent change to it: {self.change}"

    @property
    def several(self) -> bool:
        """More than one kind changed in that moment (a release went out)."""
        return len(set(self.together)) > 1


@dataclass(frozen=True)
class Stretch:
    """The LLM calls made in ``[start, end)`` and how many failed."""

    start: datetime
    end: datetime
    calls: int
    errors: int

    @property
    def rate(self) -> float:
        """Errors per call (0 without calls)."""
        return self.errors / self.calls if self.calls else 0.0


def moments(events: Sequence[ChangeEvent]) -> tuple[tuple[ChangeEvent, ...], ...]:
    """The changes grouped by moment, oldest first: a moment starts with a change more than ``TOGETHER`` after
    the start of the one before."""
    groups: list[list[ChangeEvent]] = []
    for event in sorted(events, key=lambda e: e.at):
        if groups and event.at - groups[-1][0].at <= TOGETHER:
            groups[-1].append(event)
        else:
            groups.append([event])
    return tuple(tuple(g) for g in groups)


def stretches_between(
    events: Sequence[ChangeEvent], *, since: datetime, now: datetime
) -> tuple[tuple[datetime, datetime], ...]:
    """The stretches of time to compare, oldest first: cut where the newest ``MAX_STRETCHES`` moments inside
    ``(since, now)`` start; the first starts at the moment before them (or ``since``), the last ends ``now``."""
    starts = [m[0].at for m in moments([e for e in events if since < e.at < now])]
    start = starts[-MAX_STRETCHES - 1] if len(starts) > MAX_STRETCHES else since
    edges = [start, *starts[-MAX_STRETCHES:], now]
    return tuple((a, b) for a, b in pairwise(edges) if a < b)


def percent(rate: float) -> str:
    """``26 %``, ``2.5 %``, ``0.4 %``."""
    value = rate * 100
    return f"{value:.0f} %" if value >= 10 else f"{value:.1f} %"


def _culprit(moment: Sequence[ChangeEvent], change: ChangeEvent, evidence: str, *, onset: bool) -> Culprit:
    kinds = tuple(dict.fromkeys([change.kind, *(e.kind for e in moment)]))
    return Culprit(change.kind, evidence, change.summary, kinds, onset)


def by_error_onset(events: Sequence[ChangeEvent], stretches: Sequence[Stretch]) -> Culprit | None:
    """The change at the most recent clear rise of the error rate, if the calls show one."""
    by_start = {m[0].at: m for m in moments(events)}
    ordered = sorted(stretches, key=lambda s: s.start)
    for before, after in reversed(list(pairwise(ordered))):
        moment = by_start.get(after.start)
        if moment is None or before.calls < MIN_CALLS or after.calls < MIN_CALLS:
            continue
        if after.rate < before.rate * RISE_RATIO or after.rate - before.rate < RISE_POINTS:
            continue
        evidence = f"errors rose from {percent(before.rate)} to {percent(after.rate)} of LLM calls"
        return _culprit(moment, moment[0], evidence, onset=True)
    return None


def by_failing_layer(events: Sequence[ChangeEvent], failing: Mapping[KindName, str]) -> Culprit | None:
    """The most recent change to a layer whose health is failing now (``failing``: kind -> what fails)."""
    for moment in reversed(moments(events)):
        changed = [e for e in moment if e.kind in failing]
        if changed:
            latest = max(changed, key=lambda e: e.at)
            return _culprit(moment, latest, failing[latest.kind], onset=False)
    return None
