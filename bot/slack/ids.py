"""Every action_id, callback_id and block_id the bot uses."""

from __future__ import annotations

from enum import StrEnum


class SlackId(StrEnum):
    """Identifiers of interactive elements, views and blocks."""

    usage_header = "rollback-usage-header"
    home_header = "rollback-home-header"
