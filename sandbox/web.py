"""The page's HTTP server: static files and the JSON API, on loopback only, nothing from elsewhere.

The Content-Security-Policy lets the page load only what this server serves and talk only to it. The
API answers only requests addressed to this server by name (``Host``), and actions only as JSON, so
another site open in the same browser can neither read the sandbox nor act in it.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import requests

from sandbox import api

if TYPE_CHECKING:
    from sandbox.app import Sandbox

log = logging.getLogger("rollback_sandbox")
SCRIPTS = ("mrkdwn.js", "blockkit.js", "messages.js", "estate.js", "app.js")
STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/style.css": ("style.css", "text/css; charset=utf-8"),
    **{f"/static/{name}": (name, "text/javascript; charset=utf-8") for name in SCRIPTS},
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
MAX_BODY = 256 * 1024
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


HEALTH_PATHS = ("/health/live", "/health/ready", "/metrics")


def _forward_to_bot(url: str) -> tuple[int, bytes, str]:
    """The bot's own answer to a health or metrics request, so the sandbox's URL answers them too."""
    try:
        response = requests.get(url, timeout=5)
    except requests.RequestException as exc:
        return 503, json.dumps({"status": "unavailable", "bot": type(exc).__name__}).encode(), "application/json"
    return response.status_code, response.content, response.headers.get("Content-Type", "application/json")


def static_file(name: str) -> bytes:
    """A file of the page (``sandbox/static/``)."""
    return (resources.files("sandbox") / "static" / name).read_bytes()


class _Handler(BaseHTTPRequestHandler):
    server: PageServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("page: " + format, *args)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if not self._host_allowed():
            self._json(421, {"ok": False, "error": "use the URL the sandbox printed"})
        elif url.path in STATIC:
            name, content_type = STATIC[url.path]
            self._send(200, static_file(name), content_type)
        elif url.path in HEALTH_PATHS:
            self._send(*_forward_to_bot(self.server.sandbox.stack.bot_url + url.path))
        elif url.path == "/api/state":
            user = parse_qs(url.query).get("user", [None])[0]
            self._json(*self._guarded(lambda: api.get_state(self.server.sandbox, user)))
        else:
            self._json(404, {"ok": False, "error": "not found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        if not self._host_allowed():
            self._json(421, {"ok": False, "error": "use the URL the sandbox printed"})
        elif not (self.headers.get("Content-Type") or "").startswith("application/json"):
            self._json(415, {"ok": False, "error": "send JSON"})
        elif length > MAX_BODY:
            self._json(413, {"ok": False, "error": "too large"})
        else:
            body = _object(self.rfile.read(length))
            self._json(*self._guarded(lambda: api.post(self.server.sandbox, path, body)))

    def _guarded(self, call: Any) -> api.Answer:
        try:
            answer: api.Answer = call()
        except api.BadRequestError as exc:
            return 400, {"ok": False, "error": str(exc)}
        except Exception:
            log.exception("sandbox page request failed")
            return 500, {"ok": False, "error": "the sandbox failed; see its log"}
        return answer

    def _host_allowed(self) -> bool:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        return host in LOOPBACK_NAMES

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json; charset=utf-8")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def _object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class PageServer(ThreadingHTTPServer):
    """Bound at construction (so a taken port fails before anything starts); ``serve`` starts the thread."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, host: str, port: int) -> None:
        super().__init__((host, port), _Handler)
        self._sandbox: Sandbox | None = None
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.1}, name="sandbox-page", daemon=True
        )

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            raise RuntimeError("the page server is not serving a sandbox yet")
        return self._sandbox

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/" if isinstance(host, str) else f"http://{host.decode()}:{port}/"

    def serve(self, sandbox: Sandbox) -> None:
        """Serve the page of ``sandbox`` from a daemon thread."""
        self._sandbox = sandbox
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)
