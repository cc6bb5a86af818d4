"""SlackDirectory over slack_sdk's WebClient, with a short cache to stay inside Slack's rate-limit tiers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError as SdkSlackApiError

from bot.errors import SlackApiError
from bot.ports.slack import SlackChannelInfo, SlackDirectory, SlackUserInfo

T = TypeVar("T")
_NOT_FOUND = {"channel_not_found", "user_not_found", "no_such_subteam", "user_not_visible"}


class WebClientDirectory(SlackDirectory):
    """The workspace, channels, users and user-group members from the Web API, cached for ``ttl_seconds``."""

    def __init__(self, client: WebClient, *, ttl_seconds: float = 60.0) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def _cached(self, key: tuple[str, str], load: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit and now - hit[0] < self._ttl:
            value: T = hit[1]
            return value
        value = load()
        with self._lock:
            self._cache[key] = (now, value)
        return value

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any] | None:
        try:
            response = self._client.api_call(method, params=kwargs)
        except SdkSlackApiError as exc:
            error = str(exc.response.get("error", "unknown_error"))
            if error in _NOT_FOUND:
                return None
            raise SlackApiError(f"Slack refused {method}: {error}") from None
        return dict(response.data) if isinstance(response.data, dict) else None

    def workspace_id(self) -> str | None:
        def load() -> str | None:
            data = self._call("auth.test")
            team = data.get("team_id") if data else None
            return str(team) if team else None

        return self._cached(("workspace", ""), load)

    def channel(self, channel_id: str) -> SlackChannelInfo | None:
        def load() -> SlackChannelInfo | None:
            data = self._call("conversations.info", channel=channel_id)
            if not data:
                return None
            c = data["channel"]
            return SlackChannelInfo(id=channel_id, name=str(c.get("name") or ""), is_member=bool(c.get("is_member")))

        return self._cached(("channel", channel_id), load)

    def user(self, user_id: str) -> SlackUserInfo | None:
        def load() -> SlackUserInfo | None:
            data = self._call("users.info", user=user_id)
            if not data:
                return None
            u = data["user"]
            return SlackUserInfo(
                id=user_id,
                is_bot=bool(u.get("is_bot") or u.get("is_app_user")),
                deleted=bool(u.get("deleted")),
                is_guest=bool(u.get("is_restricted") or u.get("is_ultra_restricted")),
                team_id=str(u["team_id"]) if u.get("team_id") else None,
                is_stranger=bool(u.get("is_stranger")),
            )

        return self._cached(("user", user_id), load)

    def usergroup_members(self, usergroup_id: str) -> frozenset[str]:
        def load() -> frozenset[str]:
            data = self._call("usergroups.users.list", usergroup=usergroup_id)
            return frozenset(data.get("users", [])) if data else frozenset()

        return self._cached(("usergroup", usergroup_id), load)
