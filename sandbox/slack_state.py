"""Keeping the incident channel across sandbox restarts.

The Slack fake lives in memory. The sandbox saves the channel's messages (threads included) to a JSON
file and, on the next start, posts them again through the fake's Web API with the clock pinned to each
message's original ``ts``, so the bot's stored card timestamps still point at its cards. Ephemeral
messages and open modals are not kept, as in Slack after a reload.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from sandbox.emulators.slack import SlackFake

JsonDict = dict[str, Any]


class ReplayClock:
    """Wall-clock seconds, or a pinned ``ts`` while old messages are posted again."""

    def __init__(self) -> None:
        self._pinned: float | None = None

    def __call__(self) -> float:
        return self._pinned if self._pinned is not None else time.time()

    def pin(self, ts: str | None) -> None:
        """Answer ``ts`` (a Slack message timestamp) until unpinned with None."""
        if ts is None:
            self._pinned = None
            return
        seconds, _, micros = ts.partition(".")
        # Half a microsecond above the exact value, so the fake's truncation gives back the same ts.
        self._pinned = int(seconds) + int(micros.ljust(6, "0")[:6]) / 1_000_000 + 5e-7


def channel_messages(fake: SlackFake, channel_id: str) -> list[JsonDict]:
    """Top-level messages with their ``replies``, as the fake's state shows them."""
    for channel in fake.state()["channels"]:
        if channel["id"] == channel_id:
            messages: list[JsonDict] = channel["messages"]
            return messages
    return []


def save_channel(fake: SlackFake, channel_id: str, path: Path) -> str:
    """Write the channel to ``path`` when it changed; returns the text written (or unchanged)."""
    text = json.dumps(_compact(channel_messages(fake, channel_id)), indent=1)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return text


def restore_channel(fake: SlackFake, clock: ReplayClock, channel_id: str, path: Path) -> int:
    """Post the saved messages again with their original timestamps; returns how many."""
    if not path.exists():
        return 0
    saved = json.loads(path.read_text(encoding="utf-8"))
    client = WebClient(token=fake.bot_token, base_url=fake.api_url)
    count = 0
    try:
        for message in saved:
            _repost(client, clock, channel_id, message, None)
            count += 1
            for reply in message.get("replies", []):
                _repost(client, clock, channel_id, reply, message["ts"])
                count += 1
    finally:
        clock.pin(None)
    return count


def _repost(client: WebClient, clock: ReplayClock, channel_id: str, message: JsonDict, thread_ts: str | None) -> None:
    clock.pin(message["ts"])
    client.chat_postMessage(
        channel=channel_id, text=message.get("text") or " ", blocks=message.get("blocks"), thread_ts=thread_ts
    )


def _compact(messages: list[JsonDict]) -> list[JsonDict]:
    keep = ("ts", "text", "blocks")
    return [
        {**{k: m.get(k) for k in keep}, "replies": [{k: r.get(k) for k in keep} for r in m.get("replies", [])]}
        for m in messages
    ]
