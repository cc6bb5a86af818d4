"""``SlackFake``: a local Slack Web API that behaves like Slack, for tests and the sandbox.

with SlackFake() as fake:
    fake.add_user(SlackUser(id="U0ALICE", name="alice"))
    fake.add_channel("C0INCIDENT", name="inc-pharmabot")
    client = WebClient(token=fake.bot_token, base_url=fake.api_url)
    client.chat_postMessage(channel="C0INCIDENT", text="hi")
    assert fake.messages("C0INCIDENT")[0]["text"] == "hi"

Socket Mode: a client connects through ``apps.connections.open`` (``fake.app_token``); then
``fake.wait_for_ack(fake.socket_slash_command("U0ALICE", "C0INCIDENT", "help"))``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from types import TracebackType

from sandbox.emulators.slack.chat import public_message
from sandbox.emulators.slack.models import Fault, JsonDict, SlackCall, SlackChannel, SlackUser
from sandbox.emulators.slack.params import view_arg
from sandbox.emulators.slack.server import RESPONSE_URL_PREFIX, FakeHttpServer
from sandbox.emulators.slack.socket_fake import SocketModeMethods
from sandbox.emulators.slack.state import SlackWorld


class SlackFake(SocketModeMethods):
    """A Slack workspace with one bot, served over HTTP on ``host:port`` (port 0 = a free port)."""

    def __init__(
        self,
        *,
        team_id: str = "T0ROLLBACK",
        bot_token: str = "xoxb-sandbox-token",  # noqa: S107
        app_token: str = "xapp-sandbox-token",  # noqa: S107
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._world = SlackWorld(team_id=team_id, bot_token=bot_token, app_token=app_token, clock=clock)
        self._host = host
        self._port = port
        self._server: FakeHttpServer | None = None
        self._socket = self._new_socket_server(host)

    # lifecycle -----------------------------------------------------------------------------------

    def start(self) -> SlackFake:
        if self._server is None:
            self._server = FakeHttpServer(self._world, self._host, self._port)
            self._world.base_url = f"http://{self._host}:{self._server.port}"
            self._socket = self._new_socket_server(self._host)  # listens from the first apps.connections.open on
            self._world.open_socket = self._socket.open_url
            self._server.start()
        return self

    def stop(self) -> None:
        self._world.open_socket = None
        self._socket.stop()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> SlackFake:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if not self._world.base_url:
            raise RuntimeError("SlackFake is not started")
        return self._world.base_url

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    @property
    def team_id(self) -> str:
        return self._world.team_id

    @property
    def bot_token(self) -> str:
        return self._world.bot_token

    @property
    def app_token(self) -> str:
        """The app-level token ``apps.connections.open`` accepts."""
        return self._world.app_token

    @property
    def bot_user_id(self) -> str:
        return self._world.bot_user_id

    @property
    def bot_id(self) -> str:
        return self._world.bot_id

    @property
    def app_id(self) -> str:
        return self._world.app_id

    # world state ---------------------------------------------------------------------------------

    def add_user(self, user: SlackUser) -> None:
        with self._world.lock:
            self._world.users[user.id] = user

    def add_usergroup(self, usergroup_id: str, *, handle: str, users: list[str]) -> None:
        with self._world.lock:
            self._world.usergroups[usergroup_id] = {
                "id": usergroup_id,
                "team_id": self.team_id,
                "handle": handle,
                "users": list(users),
            }

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str,
        is_private: bool = False,
        is_archived: bool = False,
        is_member: bool = True,
    ) -> None:
        with self._world.lock:
            self._world.channels[channel_id] = SlackChannel(
                channel_id, name, is_private, is_archived, is_member=is_member
            )

    def response_url(self, channel_id: str, user_id: str, *, message_ts: str | None = None) -> str:
        """A fresh response_url (30 min, 5 uses); ``message_ts`` is the original it may replace/delete."""
        with self._world.lock:
            token = self._world.hooks.create(channel_id, user_id, message_ts)
        return f"{self.url}{RESPONSE_URL_PREFIX}{token}"

    def issue_trigger_id(self, user_id: str | None = None) -> str:
        """A trigger_id valid for 3 s and usable once; views it opens go on ``user_id``'s stack."""
        with self._world.lock:
            return self._world.triggers.issue(user_id)

    # recorded traffic ----------------------------------------------------------------------------

    @property
    def calls(self) -> list[SlackCall]:
        return self._world.calls()

    def calls_to(self, method: str) -> list[SlackCall]:
        return [call for call in self._world.calls() if call.method == method]

    def wait_for(
        self, method: str, predicate: Callable[[SlackCall], bool] = lambda call: True, timeout: float = 5.0
    ) -> SlackCall:
        """The first call to ``method`` matching ``predicate``, waiting up to ``timeout`` seconds for it."""
        return self._world.wait_for(method, predicate, timeout)

    def reset_calls(self) -> None:
        self._world.reset_calls()

    # conversation state --------------------------------------------------------------------------

    def messages(self, channel_id: str) -> list[JsonDict]:
        with self._world.lock:
            return self._world.chat.top_level(channel_id)

    def thread(self, channel_id: str, ts: str) -> list[JsonDict]:
        with self._world.lock:
            return self._world.chat.thread(channel_id, ts)

    def ephemerals(self, channel_id: str | None = None, user_id: str | None = None) -> list[JsonDict]:
        with self._world.lock:
            return self._world.chat.ephemerals(channel_id, user_id)

    def message(self, channel_id: str, ts: str) -> JsonDict | None:
        """One message (top-level or thread reply) by its ts, as the Web API returns it."""
        with self._world.lock:
            message = self._world.chat.find(channel_id, ts)
            return public_message(message) if message is not None else None

    def user(self, user_id: str) -> SlackUser | None:
        with self._world.lock:
            return self._world.users.get(user_id)

    def channel(self, channel_id: str) -> JsonDict | None:
        """The conversation as ``conversations.info`` describes it, or None."""
        with self._world.lock:
            channel = self._world.channels.get(channel_id)
            return channel.to_api(self.team_id, self.bot_user_id) if channel is not None else None

    def views(self) -> dict[str, JsonDict]:
        with self._world.lock:
            return self._world.views.modals()

    def home(self, user_id: str) -> JsonDict | None:
        with self._world.lock:
            return self._world.views.home(user_id)

    def set_view_state(self, view_id: str, values: JsonDict) -> None:
        """What the user typed into an open view (``state.values``)."""
        with self._world.lock:
            self._world.views.set_state(view_id, values)

    def apply_view_response(self, view_id: str, response_body: str | JsonDict | None) -> None:
        """Do what Slack does with an app's answer to a view_submission of ``view_id``.

        Empty: close the view. ``response_action`` ``update`` / ``push`` / ``clear``; ``errors`` keeps it open.
        Raises ``SlackError`` (``invalid_arguments``...) for a view Slack would refuse.
        """
        body = _as_dict(response_body)
        action = body.get("response_action")
        with self._world.lock:
            views, owner = self._world.views, self._world.views.owner_of(view_id)
            if action is None:
                views.close(view_id)
            elif action == "clear":
                views.clear(owner)
            elif action in ("update", "push"):
                self._apply_view_action(view_id, owner, action, body)

    def _apply_view_action(self, view_id: str, owner: str | None, action: str, body: JsonDict) -> None:
        spec = view_arg(body, expected_type="modal")
        if action == "update":
            self._world.views.update(spec, view_id=view_id, external_id=None, view_hash=None)
        else:
            self._world.views.push(spec, owner)

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        *,
        status: int | None = None,
        retry_after: int | None = None,
        n: int = 1,
    ) -> None:
        """Make the next ``n`` calls of ``method`` (or ``"response_url"``) fail with ``error``.

        ``ratelimited`` defaults to HTTP 429 with ``Retry-After: 1``; other errors to HTTP 200 + ``ok: false``.
        """
        status = status if status is not None else (429 if error == "ratelimited" else 200)
        if status == 429 and retry_after is None:
            retry_after = 1
        self._world.add_fault(method, Fault(error=error, status=status, retry_after=retry_after, remaining=n))

    def unreachable(self, down: bool = True) -> None:
        """Drop every Web API call without an answer (``down``), or answer them again."""
        with self._world.lock:
            self._world.unreachable = down

    def state(self) -> JsonDict:
        """Everything, as ``GET /_fake/state`` answers it."""
        return self._world.snapshot()


def _as_dict(response_body: str | JsonDict | None) -> JsonDict:
    if isinstance(response_body, dict):
        return response_body
    parsed = json.loads(response_body) if response_body else {}
    return parsed if isinstance(parsed, dict) else {}
