"""Framework-neutral request/response types, the error type handlers raise, and time helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True)
class Request:
    """One parsed HTTP request, as the routers see it."""

    method: str
    path: str  # percent-decoded, without the query string
    query: dict[str, str]
    body: Any
    headers: dict[str, str]  # keys lower-cased
    base_url: str  # "https://127.0.0.1:PORT", the server's own scheme and host

    @property
    def api_version(self) -> str:
        return self.query.get("api-version", "")


@dataclass
class Response:
    """What a handler answers; ``body=None`` sends an empty body."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        if self.body is None:
            return b""
        return json.dumps(self.body).encode("utf-8")


class ApiError(Exception):
    """An error answer: ``{"error": {"code", "message"}}`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def to_response(self) -> Response:
        return Response(self.status, {"error": {"code": self.code, "message": self.message}}, self.headers)


def bad_request(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO-8601 with an explicit UTC offset, the form ARM uses (``2026-11-25T10:00:00+00:00``)."""
    return moment.astimezone(UTC).isoformat()


def parse_time(text: str) -> datetime:
    """Parse an ISO-8601 timestamp (``Z`` or offset; naive means UTC)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
