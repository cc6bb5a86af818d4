"""Dispatch: control surface, then latency, authentication, api-version and injected failures, then routes."""

from __future__ import annotations

import copy
import ipaddress
import logging
import time
from typing import TYPE_CHECKING

from sandbox.emulators.azure import (
    arm_cognitive,
    arm_containerapps,
    arm_jobs,
    arm_postgres,
    control,
    log_analytics,
    lro,
    search,
)
from sandbox.emulators.azure.arm import Route
from sandbox.emulators.azure.wire import JSON, ApiError, Request, Response

if TYPE_CHECKING:
    from sandbox.emulators.azure.core import Core

log = logging.getLogger(__name__)

ARM_ROUTES: list[Route] = [
    *arm_containerapps.ROUTES,
    *arm_jobs.ROUTES,
    *arm_cognitive.ROUTES,
    *arm_postgres.ROUTES,
    Route("GET", lro.STATUS_PATH, lro.status_handler),
    Route("GET", lro.RESULT_PATH, lro.result_handler),
]
SEARCH_ROUTES: list[Route] = search.ROUTES
LOGS_PREFIX = "/v1/workspaces/"  # Log Analytics: the API version is in the path, not in ?api-version=
CONTROL_PREFIXES = ("/_emulator/", "/_apps/")


def dispatch(core: Core, req: Request, client_host: str) -> Response:
    """Answer one request; never raises."""
    try:
        if req.path.startswith(CONTROL_PREFIXES):
            if not _is_loopback(client_host):
                raise ApiError(403, "Forbidden", "The emulator control surface answers loopback clients only.")
            return _run(core, req, control.ROUTES)
        return _service_call(core, req)
    except ApiError as error:
        return error.to_response()
    except Exception as exc:
        log.exception("azure emulator: unhandled error for %s %s", req.method, req.path)
        return ApiError(500, "InternalServerError", f"Emulator error: {exc}").to_response()


def _service_call(core: Core, req: Request) -> Response:
    delay = core.faults.delay_for(req.method, req.path)
    if delay > 0:
        time.sleep(delay)
    is_arm = req.path.lower().startswith("/subscriptions/")
    is_logs = req.path.lower().startswith(LOGS_PREFIX)
    _authenticate(core, req, is_arm or is_logs)
    if not req.api_version and not is_logs:
        raise ApiError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    failure = core.faults.take_failure(req.method, req.path)
    if failure is not None and not failure[1]:
        raise failure[0]
    response = _run(core, req, ARM_ROUTES if is_arm else log_analytics.ROUTES if is_logs else SEARCH_ROUTES)
    if failure is not None:
        raise failure[0]  # the call was carried out; the caller hears the error anyway
    return response


def _authenticate(core: Core, req: Request, is_arm: bool) -> None:
    authorization = req.headers.get("authorization", "")
    api_key = req.headers.get("api-key")
    if not is_arm and api_key is not None:
        if api_key != core.token:
            raise ApiError(403, "Forbidden", "The api-key is not valid for this search service.")
        return
    if not authorization:
        raise ApiError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or token.strip() != core.token:
        raise ApiError(401, "InvalidAuthenticationToken", "The access token is invalid.")


def _run(core: Core, req: Request, routes: list[Route]) -> Response:
    path_known = False
    for candidate in routes:
        match = candidate.pattern.fullmatch(req.path)
        if match is None:
            continue
        path_known = True
        if candidate.method == req.method:
            with core.lock:
                stale = _stale(core, req)
                if stale is not None:
                    return Response(200, stale)
                finished = _finished(core)
                _remember(core, req)
                response = candidate.handler(core, req, match)
                if req.method != "GET" or _finished(core) != finished:
                    core.persist()
            return response
    if path_known:
        raise ApiError(405, "MethodNotAllowed", f"The emulator does not support {req.method} on {req.path}.")
    raise ApiError(404, "NotFound", f"The emulator does not implement {req.method} {req.path}.")


def _current(core: Core, path: str) -> JSON | None:
    """The resource a path names as its GET would show it: ARM by id, AI Search aliases by name."""
    if path.lower().startswith("/subscriptions/"):
        return core.find(path)
    alias = search.alias_name(path)
    return core.state["search"]["aliases"].get(alias) if alias else None


def _remember(core: Core, req: Request) -> None:
    """Before a write, keep what a stale replica would still answer for this resource."""
    if req.method in ("PUT", "PATCH", "DELETE"):
        current = _current(core, req.path)
        if current is not None:
            core.before_write[req.path.lower()] = copy.deepcopy(current)


def _stale(core: Core, req: Request) -> JSON | None:
    """The pre-write body when a ``stale_read`` fault applies to this read, else None."""
    if req.method != "GET" or req.path.lower() not in core.before_write:
        return None
    if not core.faults.take_stale_read(req.method, req.path):
        return None
    return copy.deepcopy(core.before_write[req.path.lower()])


def _finished(core: Core) -> int:
    return sum(1 for op in core.lro.operations.values() if op.status != "InProgress")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return host == "localhost"
