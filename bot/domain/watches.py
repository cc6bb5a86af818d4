"""A signal watch: after a rollback (or a drill), read the LLM signals once the window has passed, then report.

The after-window starts when the rollback settled and lasts ``window`` (the drill's: while its rollback
was in place); the before-window is as long and ends when the change started. The watch is due once the
after-window has ended plus ``INGESTION_GRACE`` (telemetry arrives late). It is keyed by its request or
drill, so it is scheduled once; a replica claims it with a lease, and another takes over when the lease
ran out (a crash, a restart), a bounded number of times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.rollback_requests import ServiceEnv
from bot.domain.signals import Group, TimeWindow

INGESTION_GRACE = timedelta(minutes=1)


@dataclass(frozen=True)
class NewWatch:
    """What to watch, for which request (a rollback), drill, or both (a drill run from a request)."""

    target: ServiceEnv
    subject: Group
    changed_at: datetime
    settled_at: datetime
    after_end: datetime
    min_calls: int
    request_id: int | None = None
    drill_id: int | None = None

    def __post_init__(self) -> None:
        if self.request_id is None and self.drill_id is None:
            raise ValueError("a watch belongs to a request, a drill, or a drill run from a request")

    @property
    def due_at(self) -> datetime:
        return self.after_end + INGESTION_GRACE


@dataclass(frozen=True)
class Watch(NewWatch):
    """A scheduled watch, as stored."""

    id: int = 0
    attempts: int = 0

    @property
    def before(self) -> TimeWindow:
        """As long as the after-window (at least a minute), ending when the change started."""
        return TimeWindow.ending(self.changed_at, max(self.after.length, timedelta(minutes=1)))

    @property
    def after(self) -> TimeWindow:
        end = max(self.after_end, self.settled_at + timedelta(seconds=1))
        return TimeWindow(self.settled_at, end)
