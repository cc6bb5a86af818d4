"""Bounded behaviour for the Azure SDK pipelines: retries that never wait too long, LROs with a deadline.

* ``BoundedRetryPolicy`` is azure-core's ``RetryPolicy`` (bounded count and exponential backoff for 408/429/
  5xx and connection errors) with one addition: the ``Retry-After`` waits of one request never add up to more
  than ``max_retry_wait`` seconds. A longer ``Retry-After`` is not waited for; the response is returned as
  is, so the caller sees the 429 and can say when to retry.
* ``BoundedARMPolling`` is ``ARMPolling`` with a deadline: once ``timeout`` seconds have passed since the
  initial response it stops polling and raises ``LroStillRunning`` naming the operation.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from azure.core.exceptions import (
    ClientAuthenticationError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import RetryPolicy, SansIOHTTPPolicy
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest import HttpRequest, HttpResponse
from azure.mgmt.core.polling.arm_polling import ARMPolling

_WAITED = "rollback_bot_retry_after_waited"


class BoundedRetryPolicy(RetryPolicy[HttpRequest, HttpResponse]):
    """A ``RetryPolicy`` whose Retry-After waits per request stay within ``max_retry_wait`` seconds."""

    def __init__(self, *, max_retry_wait: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_retry_wait = max_retry_wait

    def configure_retries(self, options: dict[str, Any]) -> dict[str, Any]:
        """Start each request with nothing waited yet."""
        settings = super().configure_retries(options)
        settings[_WAITED] = 0.0
        return settings

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        """Retry as azure-core does, unless honouring Retry-After would exceed the wait budget."""
        retry_after = self.get_retry_after(response)
        too_long = bool(retry_after) and settings[_WAITED] + (retry_after or 0.0) > self.max_retry_wait
        if too_long and response.http_response.status_code >= 400:
            return False
        return bool(super().is_retry(settings, response))

    def sleep(
        self,
        settings: dict[str, Any],
        transport: HttpTransport[HttpRequest, HttpResponse],
        response: PipelineResponse[HttpRequest, HttpResponse] | None = None,
    ) -> None:
        """Sleep as azure-core does, counting Retry-After waits against the budget."""
        retry_after = self.get_retry_after(response) if response is not None else None
        if retry_after:
            settings[_WAITED] += retry_after
        super().sleep(settings, transport, response)


class LroStillRunning(Exception):  # noqa: N818 - a state, not a failure of the bot
    """A long-running operation did not finish within its time bound."""

    def __init__(self, operation_url: str | None, waited: float) -> None:
        super().__init__(f"operation still running after {waited:g} s: {operation_url}")
        self.operation_url = operation_url
        self.waited = waited


def operation_id_from_url(url: str | None) -> str | None:
    """The operation id: the last path segment of an Azure-AsyncOperation (or Location) URL."""
    if not url:
        return None
    segment = urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]
    return segment or None


class BoundedARMPolling(ARMPolling):
    """``ARMPolling`` that gives up (``LroStillRunning``) ``timeout`` seconds after the initial response."""

    def __init__(
        self,
        interval: float,
        *,
        timeout: float,
        lro_options: dict[str, Any] | None = None,
        path_format_arguments: dict[str, str] | None = None,
    ) -> None:
        super().__init__(interval, lro_options=lro_options, path_format_arguments=path_format_arguments)
        self.time_bound = timeout
        self.operation_url: str | None = None
        self.started = False
        self._deadline = time.monotonic() + timeout

    def initialize(
        self, client: Any, initial_response: PipelineResponse[Any, Any], deserialization_callback: Callable[..., Any]
    ) -> None:
        """Remember the operation's status URL and start the clock."""
        headers = initial_response.http_response.headers
        self.operation_url = headers.get("Azure-AsyncOperation") or headers.get("Location")
        self._deadline = time.monotonic() + self.time_bound
        self.started = True
        super().initialize(client, initial_response, deserialization_callback)

    @property
    def operation_id(self) -> str | None:
        """The operation id from the Azure-AsyncOperation URL, if Azure returned one."""
        return operation_id_from_url(self.operation_url)

    def _delay(self) -> None:
        """Wait for the next poll, but never past the deadline."""
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise LroStillRunning(self.operation_url, self.time_bound)
        self._sleep(min(self._extract_delay(), remaining))


AZURE_ERROR_CLASSES = ("throttled", "auth", "not_found", "conflict", "invalid", "server", "timeout", "network", "other")


def azure_error_class(status: int | None, error: BaseException | None = None) -> str | None:
    """The class of a failed Azure call, the same split as the bot's errors (``bot.adapters.azure.errors``);
    None for a success."""
    if status is not None:
        if status < 400:
            return None
        known = {401: "auth", 403: "auth", 404: "not_found", 409: "conflict", 429: "throttled", 408: "timeout"}
        return known.get(status) or ("server" if status >= 500 else "invalid")
    if isinstance(error, ServiceRequestTimeoutError | ServiceResponseTimeoutError):
        return "timeout"
    if isinstance(error, ServiceRequestError | ServiceResponseError | OSError):
        return "network"
    if isinstance(error, ClientAuthenticationError):
        return "auth"
    return "other" if error is not None else None


class AzureErrorCounter(SansIOHTTPPolicy[HttpRequest, HttpResponse]):
    """Counts each Azure call that failed after the retries (a per-call policy: outside the retry policy), by
    class, with ``count(error_class=...)``; polls of long-running operations go through it too."""

    def __init__(self, count: Callable[..., None]) -> None:
        self._count = count

    def on_response(
        self, request: PipelineRequest[HttpRequest], response: PipelineResponse[HttpRequest, HttpResponse]
    ) -> None:
        error_class = azure_error_class(response.http_response.status_code)
        if error_class is not None:
            self._count(error_class=error_class)

    def on_exception(self, request: PipelineRequest[HttpRequest]) -> None:
        error = sys.exc_info()[1]
        if error is not None:
            self._count(error_class=azure_error_class(None, error) or "other")
