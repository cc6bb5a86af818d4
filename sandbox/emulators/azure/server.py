"""HTTPS transport: a threading ``http.server`` whose TLS handshake runs in each connection's thread."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from sandbox.emulators.azure.core import Core, RecordedRequest
from sandbox.emulators.azure.router import dispatch
from sandbox.emulators.azure.wire import Request, Response

MAX_BODY = 4 * 1024 * 1024


class EmulatorHTTPServer(ThreadingHTTPServer):
    """Serves ``Handler`` over TLS; tracks open connections so :meth:`close_connections` can end them."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], core: Core, context: ssl.SSLContext) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        self.core = core
        self.context = context
        self.scheme = "https"
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else str(host)
        return f"{self.scheme}://{host_text}:{port}"

    def finish_request(self, request: Any, client_address: Any) -> None:
        tls = self.context.wrap_socket(request, server_side=True)
        with self._connections_lock:
            self._connections.add(tls)
        try:
            Handler(tls, client_address, self)
        finally:
            with self._connections_lock:
                self._connections.discard(tls)
            # wrap_socket detached ``request``: the server's own close of it would not close this one.
            with contextlib.suppress(OSError):
                tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that drop connections or fail the TLS handshake are not errors worth a traceback."""

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    """Parses each request, records it, dispatches it and writes one JSON response."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: EmulatorHTTPServer
    server_version = "AzureEmulator/1.0"

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr log (the request log keeps everything)."""

    def _handle(self) -> None:
        req = self._parse()
        core = self.server.core
        core.requests.record(
            RecordedRequest(req.method, req.path, dict(req.query), req.body, dict(req.headers), time.time())
        )
        response = dispatch(core, req, str(self.client_address[0]))
        self._write(req, response)

    def _parse(self) -> Request:
        parts = urlsplit(self.path)
        length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in self.headers.items()}
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        base_url = f"{self.server.scheme}://{headers['host']}" if headers.get("host") else self.server.base_url
        return Request(self.command, unquote(parts.path), query, body, headers, base_url)

    def _write(self, req: Request, response: Response) -> None:
        payload = response.encode()
        self.send_response(response.status)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Content-Length": str(len(payload)),
            "x-ms-request-id": str(uuid.uuid4()),
            "x-ms-correlation-request-id": req.headers.get("x-ms-correlation-request-id") or str(uuid.uuid4()),
            **response.headers,
        }
        client_request_id = req.headers.get("x-ms-client-request-id")
        if client_request_id:
            headers["x-ms-client-request-id"] = client_request_id
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
