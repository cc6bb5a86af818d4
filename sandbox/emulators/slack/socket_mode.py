"""Socket Mode of the fake: the WebSocket endpoint ``apps.connections.open`` hands out, envelopes and acks.

``apps.connections.open`` (app-level token) returns ``ws://HOST:PORT/link/?ticket=...&app_id=...``; each
ticket opens one connection. Slack greets a new connection with ``hello``, then sends envelopes
``{envelope_id, type, payload, accepts_response_payload[, retry_attempt, retry_reason]}``; the app acks each
with ``{"envelope_id": ...}`` (plus ``payload`` when the envelope accepts one). A refused upgrade (unknown or
used ticket) is answered ``401`` over HTTP; closing the server sends each client a close frame (1001).
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sandbox.emulators.slack.models import JsonDict
from sandbox.emulators.slack.websocket import (
    GOING_AWAY,
    POLL_SECONDS,
    TEXT,
    ConnectionEndedError,
    ProtocolError,
    WebSocket,
    refusal,
)

LINK_PATH = "/link/"
SEND_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class SocketAck:
    """An ack the app sent: the whole message, when (fake clock) and how long after the envelope (seconds)."""

    envelope_id: str
    message: JsonDict
    at: float
    latency: float | None


def socket_payload(body: str) -> JsonDict:
    """The payload object of a request body as Slack posts it over HTTP (form, ``payload=`` form, or JSON).

    Over a socket Slack sends the same object: slash command fields as strings, interactions and events as JSON.
    """
    if body.lstrip().startswith("{"):
        parsed: Any = json.loads(body)
    elif body.startswith("payload="):
        parsed = json.loads(unquote(body.removeprefix("payload=")))
    else:
        parsed = {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}
    if not isinstance(parsed, dict):
        raise ValueError("a Slack payload is a JSON object")
    return parsed


class SocketModeServer:
    """The fake's Socket Mode endpoint on ``host`` (a free port), started on the first ``open_url()``."""

    def __init__(self, *, host: str, app_id: str, clock: Callable[[], float]) -> None:
        self._host = host
        self._app_id = app_id
        self._clock = clock
        self._changed = threading.Condition()
        self._tickets: set[str] = set()
        self._links: list[WebSocket] = []
        self._sent: dict[str, float] = {}
        self._acks: list[SocketAck] = []
        self._turn = 0
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # lifecycle -----------------------------------------------------------------------------------

    def open_url(self) -> str:
        """A fresh one-time WebSocket URL (what ``apps.connections.open`` answers), starting the server."""
        with self._changed:
            if self._stopping.is_set():
                raise RuntimeError("the Socket Mode server is stopped")
            if self._listener is None:
                self._listener = socket.create_server((self._host, 0))
                self._spawn(self._accept_loop, self._listener, name="slack-fake-socket-mode")
            ticket = str(uuid.uuid4())
            self._tickets.add(ticket)
            port = self._listener.getsockname()[1]
        return f"ws://{self._host}:{port}{LINK_PATH}?ticket={ticket}&app_id={self._app_id}"

    def stop(self) -> None:
        """Close every connection (close frame 1001) and the listening socket."""
        self._stopping.set()
        with self._changed:
            links, self._links = list(self._links), []
            listener, self._listener = self._listener, None
            self._changed.notify_all()
        for link in links:
            link.close(GOING_AWAY, "fake Slack stopping")
        if listener is not None:
            listener.close()
        with self._changed:
            threads = list(self._threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(timeout=2)

    def _spawn(self, target: Callable[..., None], *args: Any, name: str) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._changed:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    # traffic -------------------------------------------------------------------------------------

    def connections(self) -> int:
        with self._changed:
            return len(self._links)

    def send_envelope(
        self,
        envelope_type: str,
        payload: JsonDict,
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> str:
        """Send an envelope to one connected client (taking turns); its ``envelope_id``.

        Events carry ``retry_attempt``/``retry_reason`` always (``0``/``""`` on a first delivery), others when given.
        """
        envelope_id = str(uuid.uuid4())
        envelope: JsonDict = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": envelope_type,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api" or retry_attempt is not None or retry_reason is not None:
            envelope |= {"retry_attempt": retry_attempt or 0, "retry_reason": retry_reason or ""}
        text = json.dumps(envelope).encode()
        with self._changed:
            self._sent[envelope_id] = time.monotonic()
            attempts = len(self._links)
        for _ in range(attempts):  # each failed connection is dropped before the next try
            link = self._next_link()
            try:
                link.send(TEXT, text)
            except ConnectionEndedError:
                self._drop(link)
                continue
            return envelope_id
        raise RuntimeError("no Socket Mode client is connected (call apps.connections.open and connect)")

    def _next_link(self) -> WebSocket:
        with self._changed:
            if not self._links:
                raise RuntimeError("no Socket Mode client is connected (call apps.connections.open and connect)")
            self._turn = (self._turn + 1) % len(self._links)
            return self._links[self._turn]

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> JsonDict:
        """The ack the app sent for ``envelope_id`` (the whole message), waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((ack for ack in self._acks if ack.envelope_id == envelope_id), None)
                remaining = deadline - time.monotonic()
                if found is not None or remaining <= 0:
                    break
                self._changed.wait(remaining)
            if found is None:
                seen = [ack.envelope_id for ack in self._acks]
                raise AssertionError(f"no ack for envelope {envelope_id} within {timeout}s; acks were for: {seen}")
            return dict(found.message)

    def acks(self) -> list[SocketAck]:
        with self._changed:
            return list(self._acks)

    # connections ---------------------------------------------------------------------------------

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                readable, _, _ = select.select([listener], [], [], POLL_SECONDS)
                if readable:
                    sock, _ = listener.accept()
            except (OSError, ValueError):  # closed by stop()
                return
            if readable:
                sock.settimeout(SEND_TIMEOUT_SECONDS)
                self._spawn(self._serve, sock, name="slack-fake-socket-link")

    def _serve(self, sock: socket.socket) -> None:
        websocket = WebSocket(sock, self._stopping.is_set)
        accepted = False
        try:
            accepted = self._open(websocket)
            while accepted:
                self._on_text(websocket.receive_text())
        except ConnectionEndedError:
            websocket.close(None)
        except ProtocolError as err:
            websocket.close(err.code, err.reason)
        finally:
            if accepted:
                self._drop(websocket)

    def _open(self, websocket: WebSocket) -> bool:
        """The upgrade: refused over HTTP, or accepted with ``hello`` as the first message."""
        try:
            request = websocket.read_opening()
        except ProtocolError as err:
            websocket.send_raw(refusal(400, err.reason))
            websocket.close(None)
            return False
        url = urlsplit(request.target)
        problem = request.problem()
        if problem is None and url.path.rstrip("/") != LINK_PATH.rstrip("/"):
            problem = (404, "Not Found")
        ticket = (parse_qs(url.query).get("ticket") or [""])[0]
        with self._changed:
            if problem is None and ticket not in self._tickets:
                problem = (401, "Unauthorized: unknown or used ticket")
            if self._stopping.is_set():
                problem = (503, "Service Unavailable")
            if problem is not None:
                websocket.send_raw(refusal(*problem))
                websocket.close(None)
                return False
            self._tickets.discard(ticket)
            # Registered and greeted under the lock: no envelope can overtake the hello.
            websocket.send_raw(request.switching_protocols())
            websocket.send(TEXT, json.dumps(self._hello(len(self._links) + 1)).encode())
            self._links.append(websocket)
            self._changed.notify_all()
        return True

    def _hello(self, num_connections: int) -> JsonDict:
        return {
            "type": "hello",
            "num_connections": num_connections,
            "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self._app_id},
        }

    def _on_text(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return  # Slack ignores what is not an ack
        if not isinstance(message, dict) or not isinstance(message.get("envelope_id"), str):
            return
        with self._changed:
            sent = self._sent.get(message["envelope_id"])
            latency = time.monotonic() - sent if sent is not None else None
            self._acks.append(SocketAck(message["envelope_id"], message, self._clock(), latency))
            self._changed.notify_all()

    def _drop(self, websocket: WebSocket) -> None:
        with self._changed:
            if websocket in self._links:
                self._links.remove(websocket)
            self._changed.notify_all()
        websocket.close(None)
