"""Long-running operations (LROs): ``Azure-AsyncOperation`` status monitors and ``Location`` results.

A write that starts an LRO answers 202 (or 201) with both headers; the status monitor says
``InProgress`` once, then ``Succeeded`` (running the operation's ``on_success``) or ``Failed`` (running
``on_failure``, or ``on_success`` when the fault says the change landed; error from
:meth:`FaultInjector.lro_fail`), or stays ``InProgress`` forever
(:meth:`FaultInjector.lro_never_finish`). A GET of the resource itself counts as a poll too, so clients
that poll the resource body (``provisioningState``) see it finish as well.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sandbox.emulators.azure.faults import LroFault
from sandbox.emulators.azure.wire import JSON, ApiError, Request, Response, iso, utc_now

if TYPE_CHECKING:
    from sandbox.emulators.azure.core import Core

STATUS_SEGMENTS = ("containerappOperationStatuses", "azureAsyncOperation", "operationStatuses")
RESULT_SEGMENTS = ("containerappOperationResults", "operationResults")
_MONITOR = r"/subscriptions/(?P<sub>[^/]+)/providers/(?P<ns>[^/]+)/locations/(?P<loc>[^/]+)/(?P<seg>{})/(?P<op>[^/]+)"
STATUS_PATH = re.compile(_MONITOR.format("|".join(STATUS_SEGMENTS)), re.IGNORECASE)
RESULT_PATH = re.compile(_MONITOR.format("|".join(RESULT_SEGMENTS)), re.IGNORECASE)


def _noop() -> None:
    return None


@dataclass
class Operation:
    """One long-running operation and what to do when it ends."""

    id: str
    resource_id: str
    status_path: str
    start_time: str
    polls_left: int
    fault: LroFault | None
    on_success: Callable[[], None] = _noop
    on_failure: Callable[[], None] = _noop
    ready: Callable[[], bool] | None = None  # when set, the operation finishes only once this holds
    status: str = "InProgress"
    end_time: str | None = None
    error: dict[str, str] | None = field(default=None)

    def advance(self) -> None:
        """Count one poll; finish the operation when its polls are used up."""
        if self.status != "InProgress" or (self.fault and self.fault.never_finish):
            return
        if self.polls_left > 0:
            self.polls_left -= 1
            return
        if self.ready is not None and not self.ready():
            return
        self.end_time = iso(utc_now())
        if self.fault and self.fault.error:
            if self.fault.applied:
                self.on_success()
            else:
                self.on_failure()
            self.status, self.error = "Failed", self.fault.error
        else:
            self.status = "Succeeded"
            self.on_success()

    def status_body(self) -> JSON:
        body: JSON = {"id": self.status_path, "name": self.id, "status": self.status, "startTime": self.start_time}
        if self.end_time:
            body["endTime"] = self.end_time
        if self.error:
            body["error"] = self.error
        return body


@dataclass(frozen=True)
class LroSpec:
    """Where an operation's monitors live: ``…/providers/{namespace}/locations/{location}/{segment}/{id}``."""

    subscription: str
    namespace: str
    location: str
    status_segment: str
    result_segment: str


class LroRegistry:
    """All operations started since the emulator began (callers hold the core lock)."""

    def __init__(self) -> None:
        self.operations: dict[str, Operation] = {}
        # When set, answers ask clients to poll again after this many milliseconds (``retry-after-ms``, which
        # Azure's REST guidelines allow and azure-core honours); otherwise ``Retry-After: 0``, which azure-core
        # reads as "use your own ``polling_interval``".
        self.poll_after_ms: int | None = None

    def poll_hint(self) -> dict[str, str]:
        """The header of an answer about a running operation: when to poll next."""
        if self.poll_after_ms is not None:
            return {"retry-after-ms": str(self.poll_after_ms)}
        return {"Retry-After": "0"}

    def start(
        self,
        req: Request,
        spec: LroSpec,
        *,
        resource_id: str,
        fault: LroFault | None,
        on_success: Callable[[], None] = _noop,
        on_failure: Callable[[], None] = _noop,
        ready: Callable[[], bool] | None = None,
    ) -> tuple[Operation, dict[str, str]]:
        """Register an operation; return it and the ``Azure-AsyncOperation``/``Location`` headers."""
        op_id = str(uuid.uuid4())
        monitors = f"/subscriptions/{spec.subscription}/providers/{spec.namespace}/locations/{spec.location}"
        status_path = f"{monitors}/{spec.status_segment}/{op_id}"
        op = Operation(op_id, resource_id, status_path, iso(utc_now()), 1, fault, on_success, on_failure, ready)
        self.operations[op_id] = op
        query = f"?api-version={req.api_version}"
        headers = {
            "Azure-AsyncOperation": f"{req.base_url}{status_path}{query}",
            "Location": f"{req.base_url}{monitors}/{spec.result_segment}/{op_id}{query}",
            **self.poll_hint(),
        }
        return op, headers

    def touch(self, resource_id: str) -> None:
        """A GET of ``resource_id`` counts as a poll of its pending operations."""
        for op in list(self.operations.values()):
            if op.status == "InProgress" and op.resource_id.lower() == resource_id.lower():
                op.advance()

    def pending(self, resource_id: str) -> Operation | None:
        for op in self.operations.values():
            if op.status == "InProgress" and op.resource_id.lower() == resource_id.lower():
                return op
        return None

    def lookup(self, op_id: str) -> Operation:
        op = self.operations.get(op_id)
        if op is None:
            raise ApiError(404, "OperationNotFound", f"The operation '{op_id}' was not found.")
        return op


def status_handler(core: Core, req: Request, match: re.Match[str]) -> Response:
    """GET of an ``Azure-AsyncOperation`` monitor: the operation's status body."""
    op = core.lro.lookup(match.group("op"))
    op.advance()
    return Response(200, op.status_body(), core.lro.poll_hint() if op.status == "InProgress" else {})


def result_handler(core: Core, req: Request, match: re.Match[str]) -> Response:
    """GET of a ``Location`` monitor: 202 while running, then the resource (or the error)."""
    op = core.lro.lookup(match.group("op"))
    op.advance()
    if op.status == "InProgress":
        location = {"Location": f"{req.base_url}{req.path}?api-version={req.api_version}"}
        return Response(202, None, {**location, **core.lro.poll_hint()})
    if op.status == "Failed" and op.error:
        raise ApiError(400, op.error.get("code", "Failed"), op.error.get("message", ""))
    resource = core.find(op.resource_id)
    return Response(200, resource) if resource is not None else Response(204)
