"""Counting the Slack Web API's failures by class, for every client the bot builds.

``SlackErrorCounter`` is a slack_sdk retry handler that never asks for a retry: slack_sdk consults every
handler after each attempt (an answer, an HTTP error, or no answer at all), so placed first in a client's
handlers it sees every failure, retried ones included, and the real retry handlers after it decide as before.
Bolt copies the handlers into the client it makes for each request, so listeners' calls are counted too.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from http.client import HTTPException
from urllib.parse import urlparse

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

# Slack's error codes (``"ok": false``) that mean the token or the app's scopes, not the call.
AUTH = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "not_allowed_token_type",
        "ekm_access_denied",
        "team_access_not_granted",
    }
)
NOT_FOUND = frozenset(
    {"channel_not_found", "message_not_found", "user_not_found", "not_in_channel", "is_archived", "view_not_found"}
)
SERVER = frozenset({"internal_error", "fatal_error", "service_unavailable"})
TIMEOUT = frozenset({"request_timeout"})
ERROR_CLASSES = ("throttled", "auth", "not_found", "invalid", "server", "timeout", "network", "other")

Count = Callable[..., None]


def classify(response: HttpResponse | None, error: Exception | None) -> str | None:
    """The class of a failed call (one of ``ERROR_CLASSES``), or None for a success."""
    if response is None:
        return _no_answer(error)
    status = response.status_code
    if status >= 400:
        by_status = {429: "throttled", 401: "auth", 403: "auth", 404: "not_found"}
        return by_status.get(status) or ("server" if status >= 500 else "invalid")
    body = response.body or {}
    if body.get("ok", True) is not False:
        return None
    return _by_code(str(body.get("error") or ""))


def _no_answer(error: Exception | None) -> str | None:
    if error is None:
        return None
    if isinstance(error, TimeoutError | socket.timeout) or "timed out" in str(error):
        return "timeout"
    return "network" if isinstance(error, OSError | HTTPException) else "other"


def _by_code(code: str) -> str:
    if code == "ratelimited":
        return "throttled"
    for codes, name in ((AUTH, "auth"), (NOT_FOUND, "not_found"), (SERVER, "server"), (TIMEOUT, "timeout")):
        if code in codes:
            return name
    return "invalid"


def method_of(url: str) -> str:
    """``chat.update`` from ``https://slack.com/api/chat.update`` (bounded: the bot's own calls)."""
    tail = urlparse(url).path.rsplit("/", 1)[-1]
    return tail[:64] or "unknown"


class SlackErrorCounter(RetryHandler):
    """Counts each failed attempt with ``count(method=..., error_class=...)``; never retries."""

    def __init__(self, count: Count) -> None:
        super().__init__(max_retry_count=0)
        self._count = count

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        error_class = classify(response, error)
        if error_class is not None:
            self._count(method=method_of(request.url), error_class=error_class)
        return False


def describe_slack_failure(error: BaseException) -> str | None:
    """One line when ``error`` is Slack refusing a Web API call or not answering (not a bug of the bot), else None.

    Listeners' calls go through Bolt's client, so what they raise is slack_sdk's; they reach this through
    ``Deps.slack_failure`` (listeners never import the SDK).
    """
    if isinstance(error, SlackApiError):
        response = error.response
        code = response.get("error") if response is not None and isinstance(response.data, dict) else None
        url = str(getattr(response, "api_url", "") or "")
        return f"Slack refused {url.rsplit('/', 1)[-1] or 'a call'}: {code or getattr(response, 'status_code', '?')}"
    if isinstance(error, OSError | HTTPException):
        return f"Slack could not be reached ({type(error).__name__})"
    return None
