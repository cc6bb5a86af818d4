"""The server side of RFC 6455, as much as Socket Mode needs: the opening handshake and one framed connection.

Client frames must be masked; the server's are not. Text and binary messages may arrive fragmented (control
frames interleaved); the server sends every message in one frame, as slack_sdk's built-in client cannot
reassemble fragments. Pings are answered with pongs; a close is answered with a close, then the TCP
connection ends. Protocol errors close the connection with the status code the RFC names.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD_BYTES = 16 * 1024
MAX_MESSAGE_BYTES = 1024 * 1024
POLL_SECONDS = 0.05
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
CONTROL_OPCODES = frozenset({CLOSE, PING, PONG})
DATA_OPCODES = frozenset({CONTINUATION, TEXT, BINARY})
NORMAL, GOING_AWAY, PROTOCOL_ERROR, UNSUPPORTED_DATA, NO_STATUS = 1000, 1001, 1002, 1003, 1005
INVALID_PAYLOAD, TOO_BIG = 1007, 1009


class ConnectionEndedError(Exception):
    """The peer closed the TCP connection, or the server is stopping."""


class ProtocolError(Exception):
    """The peer broke RFC 6455; ``code`` is the close status to answer with."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def accept_key(sec_websocket_key: str) -> str:
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key`` (RFC 6455 §4.2.2)."""
    digest = hashlib.sha1((sec_websocket_key + GUID).encode("ascii")).digest()  # noqa: S324 - the RFC says SHA-1
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class OpeningRequest:
    """The client's HTTP upgrade request."""

    method: str
    target: str
    version: str
    headers: dict[str, str]  # lower-cased names

    def problem(self) -> tuple[int, str] | None:
        """None for a valid WebSocket upgrade, else the HTTP status and reason to refuse it with."""
        if self.method != "GET" or self.version != "HTTP/1.1":
            return 400, "expected GET ... HTTP/1.1"
        if self.headers.get("upgrade", "").lower() != "websocket":
            return 400, "expected Upgrade: websocket"
        if "upgrade" not in [token.strip().lower() for token in self.headers.get("connection", "").split(",")]:
            return 400, "expected Connection: Upgrade"
        if self.headers.get("sec-websocket-version") != "13":
            return 426, "expected Sec-WebSocket-Version: 13"
        try:
            key = base64.b64decode(self.headers.get("sec-websocket-key", ""), validate=True)
        except ValueError:
            key = b""
        if len(key) != 16:
            return 400, "expected a Sec-WebSocket-Key of 16 base64-encoded bytes"
        return None

    def switching_protocols(self) -> bytes:
        accept = accept_key(self.headers["sec-websocket-key"])
        return (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
        ).encode("ascii")


def refusal(status: int, reason: str) -> bytes:
    """An HTTP answer that refuses the upgrade (the connection closes after it)."""
    body = reason.encode()
    extra = "Sec-WebSocket-Version: 13\r\n" if status == 426 else ""
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n{extra}"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1", "replace") + body


def encode_frame(opcode: int, payload: bytes = b"") -> bytes:
    """One unmasked, final frame (what a server sends)."""
    length = len(payload)
    if length <= 125:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length <= 0xFFFF:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    return header + payload


def _valid_close_code(code: int) -> bool:
    """Codes a peer may send (RFC 6455 §7.4): the defined ones except 1004-1006, or 3000-4999."""
    return (1000 <= code <= 1014 and code not in (1004, NO_STATUS, 1006)) or 3000 <= code <= 4999


def unmask(data: bytes, key: bytes) -> bytes:
    size = len(data)
    stream = (key * (size // 4 + 1))[:size]
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(size, "big")


class WebSocket:
    """One accepted TCP connection: reads the opening request, then frames; sends are thread-safe.

    Reads poll ``stopping`` every ``POLL_SECONDS`` and end with ``ConnectionEndedError`` once it is true; sends are
    bounded by the socket's timeout.
    """

    def __init__(self, sock: socket.socket, stopping: Callable[[], bool]) -> None:
        self.sock = sock
        self._stopping = stopping
        self._buffer = bytearray()
        self._send_lock = threading.Lock()
        self.closed = False

    # reading --------------------------------------------------------------------------------------

    def _fill(self, deadline: float | None = None) -> None:
        while not self._stopping():
            if deadline is not None and time.monotonic() > deadline:
                raise ConnectionEndedError("the opening handshake took too long")
            try:
                readable, _, _ = select.select([self.sock], [], [], POLL_SECONDS)
                data = self.sock.recv(65536) if readable else None
            except (OSError, ValueError) as exc:  # ValueError: closed by another thread
                raise ConnectionEndedError(str(exc)) from exc
            if data is None:
                continue
            if not data:
                raise ConnectionEndedError("peer closed the connection")
            self._buffer += data
            return
        raise ConnectionEndedError("server stopping")

    def _take(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def read_opening(self, timeout: float = 5.0) -> OpeningRequest:
        """The HTTP request head (what follows it stays buffered for the frames)."""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self._buffer:
            if len(self._buffer) > MAX_HEAD_BYTES:
                raise ProtocolError(PROTOCOL_ERROR, "request head too large")
            self._fill(deadline)
        end = self._buffer.index(b"\r\n\r\n")
        lines = self._take(end + 4).decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        if len(parts) != 3:
            return OpeningRequest("", "", "", headers)
        return OpeningRequest(parts[0], parts[1], parts[2], headers)

    def _read_frame(self) -> tuple[bool, int, bytes]:
        first, second = self._take(2)
        fin, opcode = bool(first & 0x80), first & 0x0F
        if first & 0x70:
            raise ProtocolError(PROTOCOL_ERROR, "reserved bits set without an extension")
        if opcode not in CONTROL_OPCODES | DATA_OPCODES:
            raise ProtocolError(PROTOCOL_ERROR, f"unknown opcode {opcode:#x}")
        if not second & 0x80:
            raise ProtocolError(PROTOCOL_ERROR, "client frames must be masked")
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._take(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._take(8))
        if opcode in CONTROL_OPCODES and (length > 125 or not fin):
            raise ProtocolError(PROTOCOL_ERROR, "control frames must be final and at most 125 bytes")
        if length > MAX_MESSAGE_BYTES:
            raise ProtocolError(TOO_BIG, "message too big")
        key = self._take(4)
        return fin, opcode, unmask(self._take(length), key)

    def receive_text(self) -> str:
        """The next complete text message, answering pings and closes on the way.

        Raises ``ConnectionEndedError`` once the connection is over (the peer's close has then been answered).
        """
        opcode: int | None = None
        parts: list[bytes] = []
        while True:
            fin, frame_opcode, payload = self._read_frame()
            if frame_opcode in CONTROL_OPCODES:
                self._control(frame_opcode, payload)
                continue
            if (frame_opcode == CONTINUATION) != (opcode is not None):
                raise ProtocolError(PROTOCOL_ERROR, "unexpected continuation or data frame")
            opcode = frame_opcode if opcode is None else opcode
            parts.append(payload)
            if sum(map(len, parts)) > MAX_MESSAGE_BYTES:
                raise ProtocolError(TOO_BIG, "message too big")
            if fin:
                break
        if opcode == BINARY:
            raise ProtocolError(UNSUPPORTED_DATA, "Socket Mode takes text messages only")
        try:
            return b"".join(parts).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(INVALID_PAYLOAD, "text message is not UTF-8") from exc

    def _control(self, opcode: int, payload: bytes) -> None:
        if opcode == PING:
            self.send(PONG, payload)
        elif opcode == CLOSE:
            if len(payload) == 1:
                raise ProtocolError(PROTOCOL_ERROR, "close payload of one byte")
            code = struct.unpack("!H", payload[:2])[0] if payload else NO_STATUS
            if payload and not _valid_close_code(code):
                raise ProtocolError(PROTOCOL_ERROR, f"invalid close code {code}")
            self.close(code if payload else NORMAL)
            raise ConnectionEndedError(f"peer sent close {code}")

    # writing --------------------------------------------------------------------------------------

    def send(self, opcode: int, payload: bytes = b"") -> None:
        self.send_raw(encode_frame(opcode, payload))

    def send_raw(self, data: bytes) -> None:
        with self._send_lock:
            if self.closed:
                raise ConnectionEndedError("connection closed")
            try:
                self.sock.sendall(data)
            except OSError as exc:
                raise ConnectionEndedError(str(exc)) from exc

    def close(self, code: int | None = NORMAL, reason: str = "") -> None:
        """Send a close frame (none if ``code`` is None) and end the TCP connection; safe to call twice."""
        with self._send_lock:
            if self.closed:
                return
            self.closed = True
            if code is not None:
                with contextlib.suppress(OSError):
                    self.sock.sendall(encode_frame(CLOSE, struct.pack("!H", code) + reason.encode()[:120]))
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
            self.sock.close()
