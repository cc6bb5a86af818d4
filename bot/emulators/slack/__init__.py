"""Local emulator of the Slack Web API (``SlackFake``) and of Slack's signed requests (``requests``)."""

from __future__ import annotations

from bot.emulators.slack.blockkit import validate_message_blocks, validate_view
from bot.emulators.slack.fake import SlackFake
from bot.emulators.slack.models import SlackCall, SlackError, SlackUser

__all__ = ["SlackCall", "SlackError", "SlackFake", "SlackUser", "validate_message_blocks", "validate_view"]
