"""Test harness: the Slack Web API fake, Slack's signed requests and the Block Kit validator.

from tests.harness import SlackFake, SlackRequestFactory, SlackUser, validate_message_blocks
"""

from __future__ import annotations

from sandbox.emulators.slack import SlackCall, SlackFake, SlackUser, validate_message_blocks, validate_view
from sandbox.emulators.slack.requests import SignedRequest, SlackRequestFactory

__all__ = [
    "SignedRequest",
    "SlackCall",
    "SlackFake",
    "SlackRequestFactory",
    "SlackUser",
    "validate_message_blocks",
    "validate_view",
]
