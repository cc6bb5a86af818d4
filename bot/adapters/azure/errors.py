"""Translate ``azure.core.exceptions`` into the bot's exception tree, with text a responder can act on."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from azure.core.exceptions import (
    AzureError as SdkAzureError,
)
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from bot.adapters.azure.policies import LroStillRunning, operation_id_from_url
from bot.errors import (
    AzureAuthError,
    AzureConflictError,
    AzureError,
    AzureNotFoundError,
    AzureOperationError,
    AzureThrottledError,
    AzureUnavailableError,
)

RBAC_DOC = "docs/azure-rbac.md"
_CLIENT = re.compile(r"[Tt]he client '(?P<client>[^']+)'(?: with object id '(?P<oid>[^']+)')?")
_ACTION = re.compile(r"perform action '(?P<action>[^']+)'")
_SCOPE = re.compile(r"over scope '(?P<scope>[^']+)'")


@dataclass(frozen=True)
class Call:
    """What the bot was doing when Azure answered: used to word the error for a person."""

    operation: str
    resource_type: str
    resource: str
    permission: str
    scope: str
    role: str

    @property
    def what(self) -> str:
        """The resource, as shown in messages: ``container app 'pharmabot-prod'``."""
        return f"{self.resource_type} '{self.resource}'"


@contextmanager
def translate(call: Call, *, operation_id: str | None = None) -> Iterator[None]:
    """Turn any Azure SDK error raised inside the block into the matching ``bot.errors.AzureError``."""
    try:
        yield
    except SdkAzureError as exc:
        raise to_bot_error(exc, call, operation_id=operation_id) from exc
    except OSError as exc:  # e.g. the configured CA bundle is missing: requests raises before any HTTP
        raise AzureUnavailableError(
            f"Could not {call.operation} on {call.what}: {exc.strerror or exc} "
            "(check azure.ca_bundle and the network path to Azure).",
            operation=call.operation,
            resource=call.what,
        ) from exc


def to_bot_error(exc: SdkAzureError, call: Call, *, operation_id: str | None = None) -> AzureError:
    """The ``bot.errors`` equivalent of an Azure SDK error."""
    status = getattr(exc, "status_code", None)
    if isinstance(exc, ClientAuthenticationError) and status is None:
        return _credential_error(exc, call)
    if status in (401, 403):
        return _auth_error(exc, call, status, operation_id)
    cls, text = _classify(exc, call, status)
    return _error(cls, text, exc, call, operation_id)


def _classify(exc: SdkAzureError, call: Call, status: int | None) -> tuple[type[AzureError], str]:
    """The error class and the text for a refusal other than 401/403."""
    if status == 404:
        return AzureNotFoundError, _not_found_text(call)
    if status == 409:
        return AzureConflictError, (
            f"Azure refused to {call.operation} on {call.what}: another operation holds it "
            f"({_detail(exc)}). Wait for it to finish, re-read the state, then try again."
        )
    if status == 429:
        return AzureThrottledError, _throttled_text(exc, call)
    if (status is not None and status >= 500) or isinstance(exc, ServiceRequestError | ServiceResponseError):
        return AzureUnavailableError, (
            f"Azure did not answer a request to {call.operation} on {call.what} after bounded retries "
            f"({_detail(exc)}). Try again in a minute; if it persists, check https://status.azure.com."
        )
    return AzureError, f"Azure refused to {call.operation} on {call.what}: {_detail(exc)}."


def lro_failed(exc: HttpResponseError, call: Call, *, operation_id: str | None) -> AzureOperationError:
    """A long-running operation that Azure reported as Failed or Canceled."""
    ref = f" (operation id {operation_id})" if operation_id else ""
    code = _code(exc) or "Failed"
    text = f"Azure could not {call.operation} on {call.what}{ref}: {code}: {_first_line(exc, code)}."
    return AzureOperationError(
        text, operation=call.operation, resource=call.resource, error_code=code, operation_id=operation_id
    )


def lro_timed_out(exc: LroStillRunning, call: Call) -> AzureOperationError:
    """A long-running operation still running when the bot's time bound ran out."""
    operation_id = operation_id_from_url(exc.operation_url)
    ref = f"operation id {operation_id}" if operation_id else "no operation id returned"
    text = (
        f"The request to {call.operation} on {call.what} is still running after {exc.waited:g} s "
        f"({ref}) — check the state in Azure before retrying."
    )
    return AzureOperationError(
        text, operation=call.operation, resource=call.resource, error_code="StillRunning", operation_id=operation_id
    )


def _error(cls: type[AzureError], text: str, exc: SdkAzureError, call: Call, operation_id: str | None) -> AzureError:
    """Build ``cls`` with the call's context and the status/code Azure returned."""
    return cls(
        text,
        operation=call.operation,
        resource=call.resource,
        status_code=getattr(exc, "status_code", None),
        error_code=_code(exc),
        operation_id=operation_id,
    )


def _credential_error(exc: SdkAzureError, call: Call) -> AzureAuthError:
    """The credential could not produce a token (no identity, no az login, wrong tenant…)."""
    first = (str(exc.message) if exc.message else type(exc).__name__).splitlines()[0][:300]
    text = (
        f"The bot could not get an Azure token to {call.operation} on {call.what}: {first}. "
        "Check the managed identity (or az login) and the configured cloud."
    )
    return AzureAuthError(text, operation=call.operation, resource=call.resource, error_code="NoToken")


def _auth_error(exc: SdkAzureError, call: Call, status: int, operation_id: str | None) -> AzureError:
    """401/403, naming the identity, the missing permission and the scope."""
    message = _message(exc)
    client = _CLIENT.search(message)
    action = _ACTION.search(message)
    scope = _SCOPE.search(message)
    identity, assignee = "the bot's identity", "<object id of the bot's identity>"
    if client:
        oid = client.group("oid") or client.group("client")
        identity = f"the bot's identity (client '{client.group('client')}'"
        identity += f", object id '{oid}')" if oid != client.group("client") else ")"
        assignee = oid
    permission = action.group("action") if action else call.permission
    where = scope.group("scope") if scope else call.scope
    if status == 401:
        text = (
            f"Azure did not accept the token of {identity} to {call.operation} on {call.what} "
            f"({_detail(exc)}). Check the managed identity, its tenant and the configured cloud."
        )
    else:
        text = (
            f"Azure refused to {call.operation} on {call.what}: {identity} lacks permission "
            f"'{permission}' on scope '{where}'. Assign the role '{call.role}' (see {RBAC_DOC}) at "
            f"'{call.scope}': az role assignment create --assignee-object-id {assignee} "
            f"--role '{call.role}' --scope '{call.scope}'"
        )
    return _error(AzureAuthError, text, exc, call, operation_id)


def _not_found_text(call: Call) -> str:
    """Where the missing resource was looked for."""
    return (
        f"Azure could not find {call.what} in '{call.scope}' (while trying to {call.operation}). "
        "Check the name in the configuration and that it still exists."
    )


def _throttled_text(exc: SdkAzureError, call: Call) -> str:
    """Say when to try again, from Retry-After when Azure sent one."""
    seconds = _retry_after_seconds(exc)
    if seconds is None:
        when = "retry in a minute"
    else:
        at = (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%H:%M:%S UTC")
        when = f"retry after {math.ceil(seconds)} s (at {at})"
    return f"Azure is throttling requests to {call.operation} on {call.what} for longer than the bot waits; {when}."


def _retry_after_seconds(exc: SdkAzureError) -> float | None:
    """Retry-After from the error response: delta-seconds or an HTTP date."""
    response = getattr(exc, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _code(exc: SdkAzureError) -> str | None:
    """The ARM/data-plane error code, if the body had one."""
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    return str(code) if code else None


def _message(exc: SdkAzureError) -> str:
    """The error's own message text (from the body when there is one)."""
    error = getattr(exc, "error", None)
    text = getattr(error, "message", None) or exc.message or ""
    return str(text)


def _detail(exc: SdkAzureError) -> str:
    """``status code: first line of the message``, short, for people."""
    status = getattr(exc, "status_code", None)
    code = _code(exc)
    parts = [str(p) for p in (status, code) if p]
    first = _first_line(exc, code)
    return f"{' '.join(parts)}: {first}" if parts else first


def _first_line(exc: SdkAzureError, code: str | None) -> str:
    """The first line of the message, without the SDK's ``(Code)`` prefix, at most 300 characters."""
    lines = _message(exc).strip().splitlines()
    first = lines[0] if lines else type(exc).__name__
    if code and first.startswith(f"({code})"):
        first = first[len(code) + 2 :].strip()
    return first[:300].rstrip(".")
