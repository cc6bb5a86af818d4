"""The fake workspace: directory, conversations, views, one-shot tokens, recorded calls and faults.

All mutation happens under ``SlackWorld.lock`` (the HTTP server is threaded); readers get deep copies.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable

from sandbox.emulators.slack.chat import Author, ChatStore, TsSource
from sandbox.emulators.slack.models import Fault, JsonDict, SlackCall, SlackChannel, SlackError, SlackUser
from sandbox.emulators.slack.tokens import ResponseHookBook, TriggerBook
from sandbox.emulators.slack.viewstore import ViewOwner, ViewStore

BOT_USER_ID = "UROLLBACKBOT"
BOT_ID = "B0ROLLBACK"
APP_ID = "A0ROLLBACK"
TEAM_NAME = "Rollback Sandbox"
TEAM_DOMAIN = "rollback-sandbox"


class SlackWorld:
    """Everything the fake Slack knows. Web API handlers receive it with ``lock`` held."""

    def __init__(
        self,
        *,
        team_id: str,
        bot_token: str,
        app_token: str = "xapp-sandbox-token",  # noqa: S107
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.lock = threading.RLock()
        self._changed = threading.Condition(self.lock)
        self.team_id = team_id
        self.bot_token = bot_token
        self.app_token = app_token
        # What apps.connections.open answers with: a fresh one-time Socket Mode URL (set by SlackFake).
        self.open_socket: Callable[[], str] | None = None
        self.bot_user_id = BOT_USER_ID
        self.bot_id = BOT_ID
        self.app_id = APP_ID
        self.base_url = ""
        self.clock = clock
        self.users: dict[str, SlackUser] = {
            BOT_USER_ID: SlackUser(id=BOT_USER_ID, name="rollback-bot", real_name="Rollback Bot", is_bot=True),
        }
        self.usergroups: dict[str, JsonDict] = {}
        self.channels: dict[str, SlackChannel] = {}
        self.next_ts = TsSource(clock)
        self.chat = ChatStore(Author(BOT_USER_ID, BOT_ID, APP_ID, team_id), self.next_ts)
        self.views = ViewStore(ViewOwner(team_id, APP_ID, BOT_ID), clock)
        # Web API calls are dropped without an answer while True (Slack unreachable from the app's side).
        self.unreachable = False
        self.triggers = TriggerBook(clock)
        self.hooks = ResponseHookBook(clock)
        self._calls: list[SlackCall] = []
        self._faults: dict[str, list[Fault]] = {}

    # directory -----------------------------------------------------------------------------------

    def user(self, user_id: object) -> SlackUser:
        user = self.users.get(user_id) if isinstance(user_id, str) else None
        if user is None:
            raise SlackError("user_not_found")
        return user

    def channel(self, channel_id: object) -> SlackChannel:
        """The conversation; a known user id resolves to the bot's DM with that user, as in Slack."""
        if not isinstance(channel_id, str):
            raise SlackError("channel_not_found")
        channel = self.channels.get(channel_id)
        if channel is None and channel_id in self.users:
            channel = self.channels.setdefault(
                f"D{channel_id[1:]}", SlackChannel(id=f"D{channel_id[1:]}", name=channel_id, is_im=True)
            )
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def usergroup(self, usergroup_id: object) -> JsonDict:
        group = self.usergroups.get(usergroup_id) if isinstance(usergroup_id, str) else None
        if group is None:
            raise SlackError("no_such_subteam")
        return group

    # recorded traffic --------------------------------------------------------------------------

    def record(self, method: str, body: JsonDict, headers: dict[str, str], error: str | None) -> None:
        with self._changed:
            self._calls.append(
                SlackCall(
                    method=method,
                    body=copy.deepcopy(body),
                    headers=dict(headers),
                    at=self.clock(),
                    ok=error is None,
                    error=error,
                )
            )
            self._changed.notify_all()

    def calls(self) -> list[SlackCall]:
        with self.lock:
            return list(self._calls)

    def reset_calls(self) -> None:
        with self.lock:
            self._calls.clear()

    def wait_for(self, method: str, predicate: Callable[[SlackCall], bool], timeout: float) -> SlackCall:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((c for c in self._calls if c.method == method and predicate(c)), None)
                remaining = deadline - time.monotonic()
                if found is not None or remaining <= 0:
                    break
                self._changed.wait(remaining)
            if found is None:
                seen = [f"{c.method}({'ok' if c.ok else c.error})" for c in self._calls]
                raise AssertionError(f"no matching {method} call within {timeout}s; calls were: {seen}")
            return found

    # fault injection -----------------------------------------------------------------------------

    def add_fault(self, method: str, fault: Fault) -> None:
        with self.lock:
            self._faults.setdefault(method, []).append(fault)

    def take_fault(self, method: str) -> SlackError | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        return fault.to_error()

    # sandbox page --------------------------------------------------------------------------------

    def snapshot(self) -> JsonDict:
        with self.lock:
            return {
                "team": {"id": self.team_id, "name": TEAM_NAME, "domain": TEAM_DOMAIN},
                "bot": {"user_id": self.bot_user_id, "bot_id": self.bot_id, "app_id": self.app_id},
                "users": [u.to_api(self.team_id) for u in self.users.values()],
                "usergroups": copy.deepcopy(list(self.usergroups.values())),
                "channels": [
                    {**c.to_api(self.team_id, self.bot_user_id), "messages": self.chat.snapshot(c.id)}
                    for c in self.channels.values()
                ],
                "ephemerals": self.chat.ephemerals(),
                "views": self.views.modals(),
                "homes": self.views.homes(),
            }
