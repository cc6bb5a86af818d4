"""Deploy freezes: who stopped deploys to a service/environment, why, and until when (the database's clock).

A freeze blocks ``rollback-bot deploy`` (exit 3) and never a rollback. It ends by itself at ``until``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.rollback_requests import ServiceEnv
from bot.errors import UsageError
from bot.text import Mention, Text

_DURATION = re.compile(r"^(\d+)([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
MAX_FREEZE = timedelta(days=30)
MAX_REASON = 500
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]+$")


def parse_duration(text: str) -> timedelta:
    """``90m``, ``2h``, ``1d`` → a duration from one minute to 30 days.

    Raises:
        UsageError: anything else.
    """
    found = _DURATION.match(text.strip().lower())
    if not found:
        raise UsageError(f"Duration {text!r}: write minutes, hours or days, like 90m, 2h or 1d.")
    duration = timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
    if not timedelta(minutes=1) <= duration <= MAX_FREEZE:
        raise UsageError(f"A freeze lasts from 1 minute to {MAX_FREEZE.days} days (not {text}).")
    return duration


def check_reason(reason: str) -> str:
    """The reason, trimmed; required and at most 500 characters."""
    reason = " ".join(reason.split())
    if not reason:
        raise UsageError("Say why deploys are frozen (the reason is shown to whoever is refused).")
    if len(reason) > MAX_REASON:
        raise UsageError(f"The reason is too long ({len(reason)} characters; at most {MAX_REASON}).")
    return reason


@dataclass(frozen=True)
class Freeze:
    """An active freeze of one target."""

    target: ServiceEnv
    who: str  # a Slack user id, or "cli:NAME"
    reason: str
    since: datetime
    until: datetime

    def describe(self) -> Text:
        """'frozen by @alice until 2026-12-02 18:00 UTC: incident 42' (the reason stays text)."""
        until = f"{self.until:%Y-%m-%d %H:%M} UTC"
        if _SLACK_USER.match(self.who):
            reason = self.reason.replace("{", "{{").replace("}", "}}")  # a template with a mention
            return Text.of(f"frozen by {{who}} until {until}: {reason}", who=Mention.user(self.who))
        return Text(f"frozen by {self.who} until {until}: {self.reason}")  # no mention: taken literally

    def refusal(self) -> Text:
        """The message a refused deploy prints."""
        held = self.describe()
        return Text(f"Deploys to {self.target} are {held.template}", held.mentions)
