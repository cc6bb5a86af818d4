"""Messages, threads and ephemeral messages of every conversation, as Slack would show them."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.emulators.slack.models import JsonDict, SlackError


@dataclass(frozen=True)
class Author:
    """The bot identity every message the fake stores is posted as."""

    user_id: str
    bot_id: str
    app_id: str
    team_id: str


class TsSource:
    """Slack message timestamps: wall-clock seconds with 6 decimals, strictly increasing."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._last = 0

    def __call__(self) -> str:
        micros = max(int(self._clock() * 1_000_000), self._last + 1)
        self._last = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def public_message(message: JsonDict) -> JsonDict:
    """A stored message as the Web API returns it (no empty fields)."""
    return {key: copy.deepcopy(value) for key, value in message.items() if value not in (None, [], 0)}


class ChatStore:
    """Every conversation's messages in posting order (thread replies included) and all ephemerals."""

    def __init__(self, author: Author, next_ts: Callable[[], str]) -> None:
        self._author = author
        self._next_ts = next_ts
        self._messages: dict[str, list[JsonDict]] = {}
        self._ephemerals: list[JsonDict] = []

    def post(self, channel_id: str, content: JsonDict, thread_ts: str | None = None) -> JsonDict:
        parent = self._thread_parent(channel_id, thread_ts) if thread_ts else None
        message: JsonDict = {
            "type": "message",
            "ts": self._next_ts(),
            "user": self._author.user_id,
            "bot_id": self._author.bot_id,
            "app_id": self._author.app_id,
            "team": self._author.team_id,
            "text": "",
            "blocks": None,
            "attachments": None,
            "thread_ts": None,
            "reply_count": 0,
            "reply_users": [],
            "latest_reply": None,
            "edited": None,
        }
        message.update(_content(content))
        if parent is not None:
            message["thread_ts"] = parent["ts"]
            _add_reply(parent, message)
        self._messages.setdefault(channel_id, []).append(message)
        return message

    def update(self, channel_id: str, ts: str, content: JsonDict, *, mark_edited: bool = True) -> JsonDict:
        message = self.find(channel_id, ts)
        if message is None:
            raise SlackError("message_not_found")
        if message["user"] != self._author.user_id:
            raise SlackError("cant_update_message")
        message.update(_content(content))
        if mark_edited:
            message["edited"] = {"user": self._author.user_id, "ts": self._next_ts()}
        return message

    def replace(self, channel_id: str, ts: str, content: JsonDict) -> JsonDict:
        """Swap the whole content (a ``response_url`` ``replace_original``): unset fields become empty."""
        message = self.update(channel_id, ts, {}, mark_edited=False)
        _replace_content(message, content)
        return message

    def delete(self, channel_id: str, ts: str) -> None:
        message = self.find(channel_id, ts)
        if message is None:
            raise SlackError("message_not_found")
        self._messages[channel_id].remove(message)
        parent_ts = message["thread_ts"]
        parent = self.find(channel_id, parent_ts) if parent_ts and parent_ts != ts else None
        if parent is not None:
            parent["reply_count"] -= 1

    def find(self, channel_id: str, ts: str) -> JsonDict | None:
        return next((m for m in self._messages.get(channel_id, []) if m["ts"] == ts), None)

    def post_ephemeral(
        self, channel_id: str, user_id: str, content: JsonDict, thread_ts: str | None = None
    ) -> JsonDict:
        ephemeral = {
            "channel": channel_id,
            "user": user_id,
            "ts": self._next_ts(),
            "text": "",
            "blocks": None,
            "attachments": None,
            "thread_ts": thread_ts,
        }
        ephemeral.update(_content(content))
        self._ephemerals.append(ephemeral)
        return ephemeral

    def find_ephemeral(self, user_id: str, ts: str | None) -> JsonDict | None:
        return next((e for e in self._ephemerals if e["user"] == user_id and e["ts"] == ts), None)

    def replace_ephemeral(self, ephemeral: JsonDict, content: JsonDict) -> None:
        _replace_content(ephemeral, content)

    def delete_ephemeral(self, ephemeral: JsonDict) -> None:
        self._ephemerals.remove(ephemeral)

    def top_level(self, channel_id: str) -> list[JsonDict]:
        return [copy.deepcopy(m) for m in self._messages.get(channel_id, []) if m["thread_ts"] in (None, m["ts"])]

    def thread(self, channel_id: str, ts: str) -> list[JsonDict]:
        """The parent then its replies, like ``conversations.replies``."""
        return [copy.deepcopy(m) for m in self._messages.get(channel_id, []) if m["ts"] == ts or m["thread_ts"] == ts]

    def ephemerals(self, channel_id: str | None = None, user_id: str | None = None) -> list[JsonDict]:
        return [
            copy.deepcopy(e)
            for e in self._ephemerals
            if channel_id in (None, e["channel"]) and user_id in (None, e["user"])
        ]

    def snapshot(self, channel_id: str) -> list[JsonDict]:
        """Top-level messages, each with its ``replies`` (for the sandbox page)."""
        return [{**m, "replies": self.thread(channel_id, m["ts"])[1:]} for m in self.top_level(channel_id)]

    def _thread_parent(self, channel_id: str, thread_ts: str) -> JsonDict:
        parent = self.find(channel_id, thread_ts)
        if parent is None:
            raise SlackError("thread_not_found")
        root_ts = parent["thread_ts"]
        if root_ts and root_ts != parent["ts"]:
            return self.find(channel_id, root_ts) or parent
        return parent


def _content(content: JsonDict) -> dict[str, Any]:
    return {
        key: copy.deepcopy(content[key]) for key in ("text", "blocks", "attachments") if content.get(key) is not None
    }


def _replace_content(target: JsonDict, content: JsonDict) -> None:
    target.update(
        {
            "text": content.get("text") or "",
            "blocks": copy.deepcopy(content.get("blocks")),
            "attachments": copy.deepcopy(content.get("attachments")),
        }
    )


def _add_reply(parent: JsonDict, reply: JsonDict) -> None:
    parent["thread_ts"] = parent["ts"]
    parent["reply_count"] += 1
    parent["latest_reply"] = reply["ts"]
    if reply["user"] not in parent["reply_users"]:
        parent["reply_users"].append(reply["user"])
