"""A tiny HTTPS server (trustme, port 0) that answers with official Azure REST example bodies.

Routes are (method, path regex) → (status, body, headers); the last matching route wins, so a test can
override a default. Absolute ``https://management.azure.com`` URLs in headers are rewritten to this
server, so the SDK's LRO pollers come back here. Every request is recorded.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import trustme

SPECS = Path(__file__).resolve().parents[2] / "data" / "azure-rest-api-specs" / "specification"
ACA = SPECS / "app/resource-manager/Microsoft.App/ContainerApps/stable/2025-07-01/examples"
COG = SPECS / "cognitiveservices/resource-manager/Microsoft.CognitiveServices/stable"
PG = SPECS / "postgresql/resource-manager/Microsoft.DBforPostgreSQL/stable/2025-08-01/examples"
SEARCH = SPECS / "search/data-plane/Azure.Search/preview/2025-05-01-preview/examples"
_STATUS_PATH = (
    r".*/locations/[^/]+/(?:containerappOperationResults|operationStatus|operationResults|azureAsyncOperation)/[^/]+"
)


def example(path: Path) -> dict[str, Any]:
    """An example file's JSON (``parameters`` + ``responses``)."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def response(path: Path, status: str) -> tuple[int, Any, dict[str, str]]:
    """(status, body, headers) of one response of an example file."""
    resp = example(path)["responses"][status]
    return int(status), resp.get("body"), dict(resp.get("headers") or {})


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    path: str
    query: str
    body: Any
    headers: dict[str, str]


@dataclass
class ExampleServer:
    """The running server: ``url``, ``ca_path``, ``requests`` and ``route()``."""

    url: str
    ca_path: str
    routes: list[tuple[str, re.Pattern[str], list[tuple[int, Any, dict[str, str]]]]] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)

    def route(
        self, method: str, pattern: str, status: int, body: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        """Answer ``method`` requests whose path fully matches ``pattern``."""
        self.sequence(method, pattern, [(status, body, headers or {})])

    def sequence(self, method: str, pattern: str, answers: list[tuple[int, Any, dict[str, str]]]) -> None:
        """Answer with ``answers`` in turn; the last one repeats."""
        self.routes.append((method.upper(), re.compile(pattern, re.IGNORECASE), list(answers)))

    def example(self, method: str, pattern: str, path: Path, status: str = "200") -> None:
        """Answer with the body and headers of an example file's response."""
        code, body, headers = response(path, status)
        self.route(method, pattern, code, body, headers)

    def find(self, method: str, path: str) -> tuple[int, Any, dict[str, str]]:
        """The last matching route, else a 404 ARM error."""
        for verb, pattern, answers in reversed(self.routes):
            if verb == method and pattern.fullmatch(path):
                return answers.pop(0) if len(answers) > 1 else answers[0]
        name = path.rstrip("/").rsplit("/", 1)[-1]
        return 404, {"error": {"code": "ResourceNotFound", "message": f"The Resource '{name}' was not found."}}, {}

    def sent(self, method: str) -> list[Recorded]:
        """The recorded requests with ``method``."""
        return [r for r in self.requests if r.method == method]


def _handler(server: ExampleServer) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to ``server``."""

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True

        def _answer(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            server.requests.append(Recorded(self.command, parts.path, parts.query, body, dict(self.headers)))
            status, payload, headers = server.find(self.command, parts.path)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value.replace("https://management.azure.com", server.url))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_PATCH = do_POST = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet."""

    return Handler


class RunningServer:
    """Context manager that starts an ``ExampleServer`` on 127.0.0.1, port 0."""

    def __init__(self, ca: trustme.CA, ca_path: str) -> None:
        self._ca = ca
        self._ca_path = ca_path
        self._httpd: ThreadingHTTPServer | None = None

    def __enter__(self) -> ExampleServer:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
        state = ExampleServer(url="", ca_path=self._ca_path)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
        httpd.daemon_threads = True
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
        state.url = f"https://127.0.0.1:{httpd.server_address[1]}"
        state.route("GET", _STATUS_PATH, 200, {"status": "Succeeded"})
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        self._httpd = httpd
        return state

    def __exit__(self, *exc: object) -> None:
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()
