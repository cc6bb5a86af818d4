"""Retention of the bot's records: how long they are kept, and what a prune removed."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from bot.errors import UsageError

DEFAULT_RETENTION = timedelta(days=400)
# The checklist reads drills and runs up to its configured ages (30 days by default) back: keep at least that.
MIN_RETENTION = timedelta(days=30)
_DAYS = re.compile(r"^\s*(\d{1,5})\s*d\s*$")


def parse_retention(text: str) -> timedelta:
    """``"400d"`` → 400 days; at least ``MIN_RETENTION``.

    Raises:
        UsageError: not ``<days>d``, or shorter than the minimum.
    """
    match = _DAYS.match(text)
    if not match:
        raise UsageError(f"--older-than {text!r}: give a number of days, e.g. 400d")
    age = timedelta(days=int(match.group(1)))
    if age < MIN_RETENTION:
        raise UsageError(f"--older-than {text}: the bot keeps at least {MIN_RETENTION.days} days of records")
    return age


@dataclass(frozen=True)
class Pruned:
    """How many records a prune removed (or, in a dry run, would remove), older than ``cutoff``."""

    cutoff: datetime
    requests: int = 0
    audit_events: int = 0
    checklist_runs: int = 0
    checklist_claims: int = 0
    drills: int = 0
    signal_watches: int = 0
    deploy_runs: int = 0

    def counts(self) -> dict[str, int]:
        """Record kind → count, in a fixed order."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "cutoff"}

    def summary(self, *, dry_run: bool) -> str:
        """One line for people."""
        parts = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in self.counts().items())
        verb = "would remove" if dry_run else "removed"
        return f"{verb} {parts} from before {self.cutoff:%Y-%m-%d %H:%M} UTC (requests in flight are always kept)"
