"""When a cron schedule fires, in its time zone, across daylight-saving changes (PEP 495 semantics).

APScheduler's ``CronTrigger`` matches the cron fields; the time zone is applied here. Each wall-clock
time that matches the fields fires at the instant Python gives it with ``fold=0``: a time in a repeated
hour (autumn) fires once, at its first occurrence; a time in a skipped hour (spring) fires that much
later (02:30 on the night clocks jump from 02:00 to 03:00 fires at 03:30). The wall-clock arithmetic
runs on a twin of the trigger in UTC, which has no such hours, so it always moves forward.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache

from apscheduler.triggers.cron import CronTrigger

MAX_STEPS = 100_000  # a per-second schedule over a day's window; never reached by a sane schedule
CATCH_UP = timedelta(minutes=15)
_NEAR = timedelta(hours=3)  # longer than any change of a zone's offset, shorter than the time between two


Fields = tuple[tuple[str, str], ...]


@cache
def _wall_twin(fields: Fields) -> CronTrigger:
    return CronTrigger(timezone=UTC, **dict(fields))


def _fields(trigger: CronTrigger) -> Fields:
    """The trigger's cron fields as expressions (what ``str(trigger)`` shows)."""
    return tuple((f.name, str(f)) for f in trigger.fields if not f.is_default)


def _offset(instant: datetime, tz: tzinfo) -> timedelta:
    return instant.astimezone(tz).utcoffset() or timedelta()


def _wall(instant: datetime, tz: tzinfo) -> datetime:
    """The wall-clock reading of ``instant`` in ``tz``, labelled UTC (for the twin)."""
    return instant.astimezone(tz).replace(tzinfo=UTC)


def _instant(wall: datetime, tz: tzinfo) -> datetime:
    """The instant a wall-clock time in ``tz`` denotes (fold=0: the first of two, or shifted past a gap)."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def fire_times(trigger: CronTrigger, start: datetime, end: datetime) -> list[datetime]:
    """Every fire time of ``trigger`` in [start, end], in UTC, ascending."""
    tz = trigger.timezone
    # Near a change of offset, a wall-clock time maps up to the change's size away from its neighbours
    # (a skipped time lands after the gap): widen the wall-clock window by that much.
    shift = abs(_offset(start - _NEAR, tz) - _offset(end + _NEAR, tz))
    twin = _wall_twin(_fields(trigger))
    wall_end = _wall(end, tz) + shift
    found: set[datetime] = set()
    wall = twin.get_next_fire_time(None, _wall(start, tz) - shift)
    for _ in range(MAX_STEPS):
        if wall is None or wall > wall_end:
            break
        instant = _instant(wall, tz)
        if start <= instant <= end:
            found.add(instant)
        wall = twin.get_next_fire_time(wall, wall)
    return sorted(found)


def fire_time_of(trigger: CronTrigger, now: datetime, *, lookback: timedelta = CATCH_UP) -> datetime | None:
    """The latest fire time at or before ``now``, at most ``lookback`` earlier (the same on every replica)."""
    times = fire_times(trigger, now - lookback, now)
    return times[-1] if times else None
