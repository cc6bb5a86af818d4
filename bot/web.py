"""The HTTP surface: Slack events, health and metrics, as one WSGI application."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from slack_sdk.signature import SignatureVerifier

from bot.lifecycle import Readiness
from bot.slack.guard import malformed

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("rollback_bot.slack")
MAX_BODY_BYTES = 1024 * 1024
_JSON = [("Content-Type", "application/json")]


class WebApp:
    """Routes `POST /slack/events` to Bolt and serves `/health/live`, `/health/ready` and `/metrics`."""

    def __init__(
        self,
        *,
        slack: WSGIApplication | None,
        readiness: Readiness,
        metrics: Callable[[], tuple[bytes, str]],
        not_configured_hint: str = "",
        signing_secret: str | None = None,
    ) -> None:
        self._slack = slack
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._readiness = readiness
        self._metrics = metrics
        self._hint = not_configured_hint

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == "/slack/events":
            return self._slack_events(environ, start_response, method)
        if path == "/health/live" and method in {"GET", "HEAD"}:
            return _json(start_response, "200 OK", {"status": "ok"})
        if path == "/health/ready" and method in {"GET", "HEAD"}:
            return self._ready(start_response)
        if path == "/metrics" and method == "GET":
            body, content_type = self._metrics()
            start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
            return [body]
        return _json(start_response, "404 Not Found", {"error": "not found"})

    def _slack_events(self, environ: WSGIEnvironment, start_response: StartResponse, method: str) -> Iterable[bytes]:
        if method != "POST":
            return _json(start_response, "405 Method Not Allowed", {"error": "POST only"})
        if int(environ.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
            return _json(start_response, "413 Payload Too Large", {"error": "request body too large"})
        if self._slack is None:
            body = {"error": "Slack HTTP requests are not accepted here", "hint": self._hint}
            return _json(start_response, "503 Service Unavailable", body)
        if self._readiness.draining:
            # Shutting down: no new work here (Slack retries events; the orchestrator routes to another replica).
            return _json(start_response, "503 Service Unavailable", {"error": "shutting down"})
        return self._guarded(self._slack, environ, start_response)

    def _guarded(
        self, slack: WSGIApplication, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Hand the request to Bolt unless it lacks Slack's shape, which would make Bolt fail before any listener
        (``bot.slack.guard``): then 400 when it is signed, 401 when it is not."""
        raw = _body(environ)
        try:
            reason = malformed(raw.decode("utf-8"), environ.get("CONTENT_TYPE"))
        except UnicodeDecodeError:
            reason = "the body is not UTF-8"
        if reason is None:
            return slack({**environ, "wsgi.input": io.BytesIO(raw), "CONTENT_LENGTH": str(len(raw))}, start_response)
        if not self._signed(raw, environ):
            return _json(start_response, "401 Unauthorized", {"error": "invalid request signature"})
        log.warning("refused a malformed Slack request (HTTP 400): %s", reason)
        return _json(start_response, "400 Bad Request", {"error": "malformed Slack request", "reason": reason})

    def _signed(self, raw: bytes, environ: WSGIEnvironment) -> bool:
        """The request carries a valid Slack signature made within the last 5 minutes."""
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        if self._verifier is None or not timestamp or not signature:
            return False
        return self._verifier.is_valid(raw, timestamp, signature)

    def _ready(self, start_response: StartResponse) -> Iterable[bytes]:
        ready, body = self._readiness.report()
        return _json(start_response, "200 OK" if ready else "503 Service Unavailable", body)


def _body(environ: WSGIEnvironment) -> bytes:
    """The request body (its length is capped by the caller and the server)."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    return bytes(stream.read(length) if length > 0 else b"")


def _json(start_response: StartResponse, status: str, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [*_JSON, ("Content-Length", str(len(body)))])
    return [body]
