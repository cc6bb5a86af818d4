"""'What changed?': the likely culprit from evidence (``bot.domain.culprit``), read from the environment.

The error onset comes from the telemetry's ``by_revision`` query (every call counts, whatever its revision),
one query per stretch between the newest changes; a failing layer from each bound kind's ``failing()``. A
telemetry that cannot be read is said (in the step's warnings) and the next evidence is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from bot.domain.culprit import Culprit, Stretch, by_error_onset, by_failing_layer, stretches_between
from bot.domain.kinds import KindName
from bot.domain.plan import ChangeEvent
from bot.domain.signals import Dimension, SignalQuery, TimeWindow
from bot.errors import RollbackBotError
from bot.kinds import BoundEnvironment
from bot.ports.telemetry import TelemetryQuery


@dataclass(frozen=True)
class Finding:
    """The culprit (None: no evidence points anywhere) and what could not be read on the way."""

    culprit: Culprit | None
    problems: tuple[str, ...] = ()


def find_culprit(env: BoundEnvironment, events: Sequence[ChangeEvent], *, since: datetime, now: datetime) -> Finding:
    """Error onset when the telemetry shows one, else the most recent change to a failing layer, else none."""
    problems: list[str] = []
    telemetry = env.telemetry
    if telemetry is not None and telemetry.has(SignalQuery.by_revision) and events:
        try:
            onset = by_error_onset(events, _stretches(telemetry, events, since=since, now=now))
        except RollbackBotError as exc:
            problems.append(f"telemetry: {exc.user_message}")
        else:
            if onset is not None:
                return Finding(onset)
    failing: dict[KindName, str] = {}
    for kind, bound in env.kinds.items():
        try:
            why = bound.failing()
        except RollbackBotError as exc:
            problems.append(f"{kind}: {exc.user_message}")
            continue
        if why:
            failing[kind] = why
    return Finding(by_failing_layer(events, failing), tuple(problems))


def _stretches(
    telemetry: TelemetryQuery, events: Sequence[ChangeEvent], *, since: datetime, now: datetime
) -> list[Stretch]:
    """The calls and errors of each stretch, the queries run at once (the step waits for the slowest, not the sum)."""
    spans = stretches_between(events, since=since, now=now)

    def read(span: tuple[datetime, datetime]) -> Stretch:
        rows, _ = telemetry.calls_by(Dimension.revision, TimeWindow(*span))
        return Stretch(span[0], span[1], sum(r.calls for r in rows), sum(r.errors for r in rows))

    if len(spans) < 2:
        return [read(s) for s in spans]
    with ThreadPoolExecutor(max_workers=len(spans), thread_name_prefix="culprit") as pool:
        return list(pool.map(read, spans))
