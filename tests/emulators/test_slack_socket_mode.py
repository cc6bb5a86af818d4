"""Socket Mode of the Slack fake, driven by slack_sdk's real built-in SocketModeClient and by raw RFC 6455 frames."""

from __future__ import annotations

import base64
import json
import os
import queue
import socket
import struct
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from sandbox.emulators.slack import SlackFake, SlackUser
from sandbox.emulators.slack.requests import SlackRequestFactory
from sandbox.emulators.slack.socket_mode import socket_payload
from sandbox.emulators.slack.websocket import accept_key

CHANNEL = "C0INCIDENT"
APPROVE = {"type": "button", "action_id": "approve", "value": "rb-1", "text": {"type": "plain_text", "text": "Approve"}}
BUTTON = {"type": "actions", "block_id": "decision", "elements": [APPROVE]}


@pytest.fixture
def fake() -> Iterator[SlackFake]:
    with SlackFake() as fake:
        fake.add_user(SlackUser(id="U0ALICE", name="alice"))
        fake.add_channel(CHANNEL, name="inc-pharmabot")
        yield fake


class Connected:
    """A real SocketModeClient connected to the fake: records what it receives, acks (with ``reply`` if given)."""

    def __init__(self, fake: SlackFake, reply: dict[str, Any] | None = None, **options: Any) -> None:
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.requests: queue.Queue[SocketModeRequest] = queue.Queue()
        self.closes: queue.Queue[tuple[int, str | None]] = queue.Queue()
        self.reply = reply
        self.client = SocketModeClient(
            app_token=fake.app_token,
            web_client=WebClient(base_url=fake.api_url),
            on_close_listeners=[lambda code, reason: self.closes.put((code, reason))],
            **options,
        )
        self.client.message_listeners.append(lambda _client, message, _raw: self.messages.put(message))
        self.client.socket_mode_request_listeners.append(self._ack)
        self.client.connect()

    def _ack(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        self.requests.put(request)
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id, payload=self.reply))


def close_quickly(client: SocketModeClient) -> None:
    """``client.close()`` without its waits: the 3 s recv timeout of the read loop, the 1 s queue poll."""
    client.closed = True
    client.message_queue.put("")  # the queue poll returns now and sees ``closed``
    client.current_session_state.terminated = True
    if client.current_session is not None and client.current_session.is_active():
        client.current_session.ping("closing")  # the read loop's recv returns with the pong and sees ``terminated``
    client.close()


@pytest.fixture
def connected(fake: SlackFake) -> Iterator[Connected]:
    side = Connected(fake)
    yield side
    close_quickly(side.client)


# connecting --------------------------------------------------------------------------------------


def test_client_connects_through_apps_connections_open_and_is_greeted(fake: SlackFake, connected: Connected) -> None:
    assert connected.client.is_connected()
    assert fake.socket_connections() == 1
    [call] = fake.calls_to("apps.connections.open")
    assert call.ok and call.headers["authorization"] == f"Bearer {fake.app_token}"
    url = urlsplit(connected.client.wss_uri or "")
    assert (url.scheme, url.hostname, url.path) == ("ws", "127.0.0.1", "/link/")
    assert url.query.startswith("ticket=") and f"app_id={fake.app_id}" in url.query
    hello = connected.messages.get(timeout=3)
    assert hello["type"] == "hello" and hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": fake.app_id}


def test_slash_command_envelope_is_received_and_acked_with_a_payload(fake: SlackFake) -> None:
    side = Connected(fake, reply={"response_type": "ephemeral", "text": "usage"})
    try:
        envelope_id = fake.socket_slash_command("U0ALICE", CHANNEL, "help")
        request = side.requests.get(timeout=3)
        ack = fake.wait_for_ack(envelope_id, timeout=3)
    finally:
        close_quickly(side.client)
    assert (request.type, request.envelope_id, request.accepts_response_payload) == (
        "slash_commands",
        envelope_id,
        True,
    )
    fields = request.payload
    assert (
        fields.items() >= {"command": "/rollback", "text": "help", "user_id": "U0ALICE", "user_name": "alice"}.items()
    )
    assert (fields["channel_id"], fields["team_id"], fields["api_app_id"]) == (CHANNEL, fake.team_id, fake.app_id)
    assert fields["response_url"].startswith(fake.url + "/response_url/")
    assert all(isinstance(value, str) for value in fields.values())  # slash command fields stay strings
    assert ack == {"envelope_id": envelope_id, "payload": {"response_type": "ephemeral", "text": "usage"}}
    [record] = fake.socket_acks()
    assert record.envelope_id == envelope_id and record.latency is not None and 0 <= record.latency < 3


def test_block_action_and_event_envelopes(fake: SlackFake, connected: Connected) -> None:
    bot = WebClient(token=fake.bot_token, base_url=fake.api_url)
    ts = bot.chat_postMessage(channel=CHANNEL, text="Approve?", blocks=[BUTTON])["ts"]
    clicked = fake.socket_block_action("U0ALICE", CHANNEL, ts, "approve", "rb-1")
    action = connected.requests.get(timeout=3)
    assert (action.type, action.envelope_id, action.accepts_response_payload) == ("interactive", clicked, False)
    assert action.payload["type"] == "block_actions"
    assert action.payload["actions"][0]["action_id"] == "approve"
    assert action.payload["message"]["ts"] == ts
    assert fake.wait_for_ack(clicked, timeout=3) == {"envelope_id": clicked}

    factory = SlackRequestFactory("unused", fake=fake)
    event_id = fake.send_envelope("events_api", socket_payload(factory.app_home_opened("U0ALICE").body))
    event = connected.requests.get(timeout=3)
    assert (event.type, event.retry_attempt, event.retry_reason) == ("events_api", 0, "")
    assert event.payload["event"]["type"] == "app_home_opened"
    assert fake.wait_for_ack(event_id, timeout=3) == {"envelope_id": event_id}


def test_large_and_concurrent_envelopes_all_arrive_and_are_acked(fake: SlackFake, connected: Connected) -> None:
    big = {"type": "block_actions", "padding": "x" * 70_000}  # 64-bit frame length
    with ThreadPoolExecutor(max_workers=4) as pool:
        payloads = [big, *({"type": "block_actions", "n": n} for n in range(20))]
        ids = list(pool.map(lambda payload: fake.send_envelope("interactive", payload), payloads))
    for envelope_id in ids:
        assert fake.wait_for_ack(envelope_id, timeout=3) == {"envelope_id": envelope_id}
    received = [connected.requests.get(timeout=3).payload for _ in ids]
    assert sorted(map(json.dumps, received)) == sorted(map(json.dumps, payloads))


def test_sending_without_a_client_raises_and_waiting_for_a_missing_ack_fails(fake: SlackFake) -> None:
    assert fake.socket_connections() == 0
    with pytest.raises(RuntimeError, match="no Socket Mode client is connected"):
        fake.send_envelope("slash_commands", {"command": "/rollback"})
    with pytest.raises(AssertionError, match="no ack for envelope nope"):
        fake.wait_for_ack("nope", timeout=0.05)


def test_stop_closes_connections_with_going_away(fake: SlackFake) -> None:
    side = Connected(fake, auto_reconnect_enabled=False)
    try:
        side.messages.get(timeout=3)  # hello: the client is reading
        fake.stop()
        assert side.closes.get(timeout=3) == (1001, "fake Slack stopping")
        assert fake.socket_connections() == 0
    finally:
        close_quickly(side.client)


# refusals ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "error"), [("xapp-wrong", "invalid_auth"), ("xoxb-sandbox-token", "not_allowed_token_type")]
)
def test_apps_connections_open_wants_the_app_token(fake: SlackFake, token: str, error: str) -> None:
    with pytest.raises(SlackApiError) as refused:
        SocketModeClient(app_token=token, web_client=WebClient(base_url=fake.api_url)).connect()
    assert refused.value.response["error"] == error and fake.socket_connections() == 0
    assert requests.post(fake.api_url + "apps.connections.open", timeout=5).json()["error"] == "not_authed"
    with pytest.raises(SlackApiError) as info:  # and the app token is for apps.connections.open only
        WebClient(token=fake.app_token, base_url=fake.api_url).chat_postMessage(channel=CHANNEL, text="x")
    assert info.value.response["error"] == "not_allowed_token_type"


# slack_sdk's Connection.connect() drops the socket of a refused handshake without closing it
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
def test_a_ticket_opens_one_connection_only(fake: SlackFake, connected: Connected) -> None:
    used = connected.client.wss_uri or ""
    reuse = RawSocket(used)
    assert reuse.handshake()[0] == 401
    reuse.sock.close()
    again = SocketModeClient(
        app_token=fake.app_token, web_client=WebClient(base_url=fake.api_url), auto_reconnect_enabled=False
    )
    again.wss_uri = used  # the old URL instead of a new one from apps.connections.open
    try:
        again.connect()  # slack_sdk logs the refusal and stays disconnected
        assert not again.is_connected()
    finally:
        close_quickly(again)
    assert fake.socket_connections() == 1
    fresh = RawSocket(fresh_url(fake))
    assert fresh.handshake()[0] == 101
    assert fake.socket_connections() == 2
    fresh.sock.close()


# RFC 6455 at the frame level -------------------------------------------------------------------------


def fresh_url(fake: SlackFake) -> str:
    url: str = WebClient(base_url=fake.api_url).apps_connections_open(app_token=fake.app_token)["url"]
    return url


class RawSocket:
    """A bare WebSocket client: exact bytes out, exact frames in."""

    def __init__(self, url: str) -> None:
        self.url = urlsplit(url)
        self.sock = socket.create_connection((self.url.hostname, self.url.port), timeout=3)
        self.buffer = b""
        self.key = base64.b64encode(os.urandom(16)).decode()

    def handshake(self, target: str | None = None, **override: str) -> tuple[int, dict[str, str]]:
        headers = {"Upgrade": "websocket", "Connection": "keep-alive, Upgrade", "Sec-WebSocket-Key": self.key}
        head = "".join(f"{k}: {v}\r\n" for k, v in {**headers, "Sec-WebSocket-Version": "13", **override}.items())
        target = target or f"{self.url.path}?{self.url.query}"
        self.sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {self.url.netloc}\r\n{head}\r\n".encode())
        while b"\r\n\r\n" not in self.buffer:
            self._take(len(self.buffer) + 1, keep=True)
        raw, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *lines = raw.decode().split("\r\n")
        return int(status_line.split(" ")[1]), {k.lower(): v.strip() for k, v in (x.split(":", 1) for x in lines)}

    def _take(self, size: int, *, keep: bool = False) -> bytes:
        while len(self.buffer) < size:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buffer += data
        data = self.buffer[:size]
        if not keep:
            self.buffer = self.buffer[size:]
        return data

    def send(self, opcode: int, payload: bytes, *, fin: bool = True, masked: bool = True) -> None:
        mask = os.urandom(4) if masked else b""
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if masked else payload
        header = struct.pack("!BB", (0x80 if fin else 0) | opcode, (0x80 if masked else 0) | len(payload))
        self.sock.sendall(header + mask + body)

    def frame(self) -> tuple[int, bytes]:
        first, second = self._take(2)
        assert first & 0x80 and not second & 0x80  # server frames: final and unmasked
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._take(2))
        return first & 0x0F, self._take(length)


@pytest.fixture
def raw(fake: SlackFake) -> Iterator[RawSocket]:
    side = RawSocket(fresh_url(fake))
    yield side
    side.sock.close()


def test_handshake_answers_the_accept_key_then_hello(raw: RawSocket) -> None:
    status, headers = raw.handshake()
    assert status == 101
    assert headers["sec-websocket-accept"] == accept_key(raw.key)
    assert (headers["upgrade"].lower(), headers["connection"].lower()) == ("websocket", "upgrade")
    opcode, payload = raw.frame()
    assert opcode == 0x1 and json.loads(payload)["type"] == "hello"


@pytest.mark.parametrize(
    ("override", "status"),
    [
        ({"Sec-WebSocket-Version": "8"}, 426),
        ({"Sec-WebSocket-Key": "short"}, 400),
        ({"Upgrade": "h2c"}, 400),
        ({"target": "/elsewhere"}, 404),
        ({"target": "/link/?ticket=not-issued"}, 401),
    ],
)
def test_bad_upgrades_are_refused_over_http(raw: RawSocket, override: dict[str, str], status: int) -> None:
    assert raw.handshake(**override)[0] == status


def test_ping_fragments_and_close(fake: SlackFake, raw: RawSocket) -> None:
    raw.handshake()
    raw.frame()  # hello
    envelope_id = fake.send_envelope("slash_commands", {"command": "/rollback"})
    assert json.loads(raw.frame()[1])["envelope_id"] == envelope_id
    raw.send(0x9, b"are you there")
    assert raw.frame() == (0xA, b"are you there")
    ack = json.dumps({"envelope_id": envelope_id}).encode()
    raw.send(0x1, ack[:10], fin=False)
    raw.send(0x9, b"mid-message")  # control frames may come between fragments
    assert raw.frame() == (0xA, b"mid-message")
    raw.send(0x0, ack[10:])
    assert fake.wait_for_ack(envelope_id, timeout=3) == {"envelope_id": envelope_id}
    raw.send(0x8, struct.pack("!H", 1000) + b"bye")
    assert raw.frame() == (0x8, struct.pack("!H", 1000))
    assert raw.sock.recv(10) == b""


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"opcode": 0x1, "payload": b"{}", "masked": False}, 1002),
        ({"opcode": 0x2, "payload": b"\x00\x01"}, 1003),
        ({"opcode": 0x1, "payload": b"\xff\xfe"}, 1007),
        ({"opcode": 0x0, "payload": b"orphan"}, 1002),
    ],
)
def test_protocol_errors_close_with_the_rfc_code(raw: RawSocket, frame: dict[str, Any], code: int) -> None:
    raw.handshake()
    raw.frame()  # hello
    raw.send(frame.pop("opcode"), frame.pop("payload"), **frame)
    opcode, payload = raw.frame()
    assert (opcode, struct.unpack("!H", payload[:2])[0]) == (0x8, code)
    assert raw.sock.recv(10) == b""
