"""HTTP surface of the fake: ``/api/<method>``, ``/response_url/<token>`` and the ``/_fake/*`` read API."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.emulators.slack.hooks import post_to_response_url
from sandbox.emulators.slack.methods import call_method
from sandbox.emulators.slack.models import JsonDict, SlackError
from sandbox.emulators.slack.params import decode_json_fields
from sandbox.emulators.slack.state import SlackWorld

API_PREFIX = "/api/"
RESPONSE_URL_PREFIX = "/response_url/"
Answer = tuple[int, bytes, str, dict[str, str]]


def parse_body(raw: str, content_type: str) -> JsonDict:
    """A JSON object or url-encoded form, as Slack accepts both (``invalid_json`` otherwise)."""
    if content_type.startswith("application/json") or raw.lstrip().startswith("{"):
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise SlackError("invalid_json") from exc
        if not isinstance(body, dict):
            raise SlackError("invalid_json")
        return body
    return dict(parse_qsl(raw, keep_blank_values=True))


def api_answer(world: SlackWorld, method: str, raw: str, content_type: str, headers: dict[str, str]) -> Answer:
    with world.lock:
        params: JsonDict = {}
        try:
            params = decode_json_fields(parse_body(raw, content_type))
            result = {"ok": True, **call_method(world, method, params, headers)}
        except SlackError as err:
            world.record(method, params, headers, err.error)
            return err.status, _json(err.body()), "application/json; charset=utf-8", err.headers
        world.record(method, params, headers, None)
        return 200, _json(result), "application/json; charset=utf-8", {}


def response_url_answer(world: SlackWorld, token: str, raw: str, headers: dict[str, str]) -> Answer:
    with world.lock:
        body: JsonDict = {}
        try:
            body = parse_body(raw, "application/json")
            post_to_response_url(world, token, body)
        except SlackError as err:
            world.record("response_url", body, headers, err.error)
            status = 400 if err.error == "invalid_json" else err.status
            return status, err.error.encode(), "text/plain; charset=utf-8", err.headers
        world.record("response_url", body, headers, None)
        return 200, b"ok", "text/plain; charset=utf-8", {}


def read_answer(world: SlackWorld, path: str) -> Answer:
    """The sandbox page's read API (any origin may read it: the page is served by another port)."""
    cors = {"Access-Control-Allow-Origin": "*"}
    if path == "/_fake/state":
        return 200, _json(world.snapshot()), "application/json; charset=utf-8", cors
    if path == "/_fake/calls":
        calls = [asdict(call) for call in world.calls()]
        return 200, _json({"calls": calls}), "application/json; charset=utf-8", cors
    return 404, b"not found", "text/plain; charset=utf-8", {}


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: FakeHttpServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake records calls itself."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8")
        path = urlsplit(self.path).path
        headers = {key.lower(): value for key, value in self.headers.items()}
        world = self.server.world
        if path.startswith(API_PREFIX) and world.unreachable:
            self._drop()
        elif path.startswith(API_PREFIX):
            content_type = headers.get("content-type", "")
            self._send(api_answer(world, path.removeprefix(API_PREFIX), raw, content_type, headers))
        elif path.startswith(RESPONSE_URL_PREFIX):
            self._send(response_url_answer(world, path.removeprefix(RESPONSE_URL_PREFIX), raw, headers))
        else:
            self._send((404, b"not found", "text/plain; charset=utf-8", {}))

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        headers = {key.lower(): value for key, value in self.headers.items()}
        if url.path.startswith(API_PREFIX) and self.server.world.unreachable:
            self._drop()
        elif url.path.startswith(API_PREFIX):
            method = url.path.removeprefix(API_PREFIX)
            form = "application/x-www-form-urlencoded"
            self._send(api_answer(self.server.world, method, url.query, form, headers))
        else:
            self._send(read_answer(self.server.world, url.path))

    def _drop(self) -> None:
        """Close the connection without an answer, as a network without Slack does to the caller."""
        self.close_connection = True

    def _send(self, answer: Answer) -> None:
        status, payload, content_type, extra = answer
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class FakeHttpServer(ThreadingHTTPServer):
    """A threaded HTTP server bound to one ``SlackWorld``, serving from a daemon thread."""

    daemon_threads = True
    request_queue_size = 128  # the default 5 drops concurrent connects: +1 s SYN retransmit each

    def __init__(self, world: SlackWorld, host: str, port: int) -> None:
        super().__init__((host, port), _Handler)
        self.world = world
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.01}, name="slack-fake", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)
