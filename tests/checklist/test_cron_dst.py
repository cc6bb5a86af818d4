"""Cron fire times across daylight-saving changes: every transition of 2027, representative zones and all zones.

The rule (docs/operations.md): each wall-clock time that matches the schedule fires at the instant
Python gives it with fold=0. A daily time in a repeated hour fires once (its first occurrence); one in
a skipped hour fires that much later; and every daily schedule fires exactly once a day. The
reference below enumerates wall-clock minutes one by one; the scheduler must agree with it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot.scheduler.cron import CATCH_UP, fire_time_of, fire_times

YEAR = 2027
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Tehran", "Pacific/Chatham"]
Transition = tuple[datetime, timedelta, timedelta]  # the instant, the offset before, the offset after


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    return instant.astimezone(zone).utcoffset() or timedelta()


def transitions(zone: ZoneInfo, year: int = YEAR) -> list[Transition]:
    """Every change of UTC offset in ``year``, to the minute (day steps, then bisection)."""
    found = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        nxt = day + timedelta(days=1)
        if _offset(day, zone) != _offset(nxt, zone):
            lo, hi = day, nxt
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                lo, hi = (mid, hi) if _offset(mid, zone) == _offset(day, zone) else (lo, mid)
            instant = hi.replace(second=0, microsecond=0)
            found.append((instant, _offset(lo, zone), _offset(hi, zone)))
        day = nxt
    return found


def reference(
    minutes: set[int], hours: set[int] | None, zone: ZoneInfo, start: datetime, end: datetime
) -> list[datetime]:
    """Fire times in [start, end] by brute force over wall-clock minutes (fold=0 for each)."""
    wall = (start.astimezone(zone).replace(tzinfo=None) - timedelta(hours=3)).replace(second=0, microsecond=0)
    last = end.astimezone(zone).replace(tzinfo=None) + timedelta(hours=3)
    out = set()
    while wall <= last:
        if wall.minute in minutes and (hours is None or wall.hour in hours):
            instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
            if start <= instant <= end:
                out.add(instant)
        wall += timedelta(minutes=1)
    return sorted(out)


def schedules_near(transition: Transition, zone: ZoneInfo) -> Iterator[tuple[CronTrigger, set[int], set[int] | None]]:
    """Daily schedules at wall times in and around the changed hour, and hourly and quarter-hourly ones."""
    instant, before, after = transition
    walls = {(instant + before + timedelta(minutes=m)).replace(tzinfo=None) for m in (-90, -30, 0, 30, 59)}
    walls |= {(instant + after + timedelta(minutes=m)).replace(tzinfo=None) for m in (-30, 0, 30)}
    for wall in sorted(walls):
        yield CronTrigger(hour=wall.hour, minute=wall.minute, timezone=zone), {wall.minute}, {wall.hour}
    yield CronTrigger(minute=30, timezone=zone), {30}, None
    yield CronTrigger(minute="*/15", timezone=zone), {0, 15, 30, 45}, None


def _check(zone: ZoneInfo, transition: Transition, step: timedelta) -> None:
    instant = transition[0]
    for trigger, minutes, hours in schedules_near(transition, zone):
        now = instant - timedelta(hours=3)
        while now <= instant + timedelta(hours=3):
            expected = reference(minutes, hours, zone, now - CATCH_UP, now)
            assert fire_time_of(trigger, now) == (expected[-1] if expected else None), (zone, trigger, now)
            now += step
        if hours is not None:  # a daily schedule fires exactly once on the day of the change
            day = fire_times(
                trigger, instant - timedelta(hours=12), instant + timedelta(hours=12) - timedelta(seconds=1)
            )
            assert len(day) == 1, (zone, trigger, day)


@pytest.mark.parametrize("name", ZONES)
def test_every_2027_transition_of_representative_zones(name: str) -> None:
    zone = ZoneInfo(name)
    for transition in transitions(zone):
        _check(zone, transition, step=timedelta(minutes=7))


def test_every_2027_transition_of_every_zone() -> None:
    """Zones that change at the same instant between the same offsets are checked once."""
    seen: set[Transition] = set()
    checked = 0
    for name in sorted(available_timezones()):
        zone = ZoneInfo(name)
        for transition in transitions(zone):
            if transition not in seen:
                seen.add(transition)
                _check(zone, transition, step=timedelta(minutes=41))
                checked += 1
    assert checked > 20


def test_a_daily_0130_in_new_yorks_repeated_hour_fires_once_and_returns() -> None:
    """It used to loop forever: APScheduler hands back the same time again inside the repeated hour."""
    trigger = CronTrigger.from_crontab("30 1 * * *", timezone=ZoneInfo("America/New_York"))
    first = datetime(2027, 11, 7, 5, 30, tzinfo=UTC)  # 01:30 EDT; 06:30 UTC is 01:30 EST, the repeat
    result: list[datetime | None] = []
    worker = threading.Thread(
        target=lambda: result.extend(
            fire_time_of(trigger, t) for t in (first + timedelta(minutes=5), first + timedelta(hours=1, minutes=5))
        ),
        daemon=True,
    )
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "fire_time_of did not return"
    assert result == [first, None]
