"""Local emulator of the Slack Web API (``SlackFake``) and of Slack's signed requests (``requests``)."""

from __future__ import annotations

from sandbox.emulators.slack.blockkit import validate_message_blocks, validate_view
from sandbox.emulators.slack.fake import SlackFake
from sandbox.emulators.slack.models import SlackCall, SlackError, SlackUser

__all__ = ["SlackCall", "SlackError", "SlackFake", "SlackUser", "validate_message_blocks", "validate_view"]
