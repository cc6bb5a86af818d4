"""One-shot tokens Slack hands out with a payload: ``trigger_id`` (3 s, once) and ``response_url`` (30 min, 5 uses)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.emulators.slack.models import SlackError

TRIGGER_TTL_SECONDS = 3.0
RESPONSE_URL_TTL_SECONDS = 30 * 60.0
RESPONSE_URL_MAX_USES = 5


@dataclass
class _Trigger:
    issued_at: float
    user_id: str | None
    used: bool = False


class TriggerBook:
    """Issues trigger ids and exchanges each at most once within ``TRIGGER_TTL_SECONDS``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._triggers: dict[str, _Trigger] = {}
        self._seq = 0

    def issue(self, user_id: str | None = None) -> str:
        self._seq += 1
        trigger_id = f"{10_000_000_000 + self._seq}.{738474920 + self._seq}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = _Trigger(issued_at=self._clock(), user_id=user_id)
        return trigger_id

    def check(self, trigger_id: object) -> str | None:
        """The user the trigger belongs to; raises Slack's trigger errors when it cannot be used."""
        trigger = self._triggers.get(trigger_id) if isinstance(trigger_id, str) else None
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if self._clock() - trigger.issued_at > TRIGGER_TTL_SECONDS:
            raise SlackError("expired_trigger_id")
        return trigger.user_id

    def exchange(self, trigger_id: str) -> None:
        self._triggers[trigger_id].used = True


@dataclass
class ResponseHook:
    """Where a ``response_url`` posts to, and how often it was used."""

    channel_id: str
    user_id: str
    message_ts: str | None
    created_at: float
    uses: int = 0
    last_ephemeral_ts: str | None = None


class ResponseHookBook:
    """The fake's response URLs, by their secret path token."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._hooks: dict[str, ResponseHook] = {}

    def create(self, channel_id: str, user_id: str, message_ts: str | None) -> str:
        token = f"{channel_id}/{secrets.token_hex(4)}/{secrets.token_urlsafe(18)}"
        self._hooks[token] = ResponseHook(channel_id, user_id, message_ts, created_at=self._clock())
        return token

    def usable(self, token: str) -> ResponseHook:
        """The hook behind ``token``; raises with Slack's webhook error when it can no longer be used."""
        hook = self._hooks.get(token)
        if hook is None:
            raise SlackError("no_service", status=404)
        if self._clock() - hook.created_at > RESPONSE_URL_TTL_SECONDS:
            raise SlackError("expired_url", status=404)
        if hook.uses >= RESPONSE_URL_MAX_USES:
            raise SlackError("used_url", status=404)
        return hook
