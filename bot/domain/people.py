"""People as the two-person rule sees them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlackUserInfo:
    """What the bot needs to know about a person to apply the two-person rule."""

    id: str
    is_bot: bool
    deleted: bool
    is_guest: bool
