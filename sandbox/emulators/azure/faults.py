"""Fault injection: failed calls, added latency, failed or endless long-running operations.

Every rule can be narrowed by ``method`` (case-insensitive) and ``path_contains`` (a substring of the
percent-decoded request path). One-shot rules are consumed in the order they were added; latency rules
stay until :meth:`FaultInjector.clear`. Faults apply to ARM and AI Search calls, never to ``/_emulator/``
or ``/_apps/``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sandbox.emulators.azure.wire import ApiError

EMULATOR_CLIENT_ID = "6a1f6e2c-0b1d-4c39-9a53-7d1c2f0e5b11"

_DEFAULT_CODES = {
    400: "BadRequest",
    401: "InvalidAuthenticationToken",
    403: "AuthorizationFailed",
    404: "ResourceNotFound",
    409: "ContainerAppOperationInProgress",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


@dataclass
class _Rule:
    kind: str  # fail_next | latency | lro_fail | lro_never_finish | stale_read
    method: str | None
    path_contains: str | None
    remaining: int = 1
    status: int = 500
    code: str | None = None
    message: str | None = None
    retry_after: float | None = None
    seconds: float = 0.0
    applied: bool = False

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return not self.path_contains or self.path_contains in path


@dataclass(frozen=True)
class LroFault:
    """What the next matching long-running operation must do instead of succeeding."""

    never_finish: bool
    error: dict[str, str] | None
    applied: bool = False  # the change lands, then the operation reports Failed anyway


class FaultInjector:
    """Thread-safe registry of injected faults (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []

    def fail_next(
        self,
        n: int,
        status: int,
        *,
        code: str | None = None,
        message: str | None = None,
        retry_after: float | None = None,
        method: str | None = None,
        path_contains: str | None = None,
        applied: bool = False,
    ) -> None:
        """Answer the next ``n`` matching calls with ``status`` and an ARM error body.

        With ``applied`` each call is carried out first (a write lands), then answered with the error: a
        gateway that timed out while the service did the work.
        """
        rule = _Rule(
            "fail_next",
            method,
            path_contains,
            remaining=n,
            status=status,
            code=code,
            message=message,
            retry_after=retry_after,
            applied=applied,
        )
        self._add(rule)

    def latency(self, seconds: float, *, method: str | None = None, path_contains: str | None = None) -> None:
        """Delay every matching call by ``seconds`` until :meth:`clear`."""
        self._add(_Rule("latency", method, path_contains, seconds=seconds))

    def lro_fail(
        self,
        *,
        code: str = "ProvisioningFailed",
        message: str = "The operation failed while provisioning the resource.",
        method: str | None = None,
        path_contains: str | None = None,
        applied: bool = False,
    ) -> None:
        """Make the next matching long-running operation end with status ``Failed`` and this error.

        With ``applied`` the change is made first (a partial failure: the write landed, the call failed).
        """
        self._add(_Rule("lro_fail", method, path_contains, code=code, message=message, applied=applied))

    def lro_never_finish(self, *, method: str | None = None, path_contains: str | None = None) -> None:
        """Make the next matching long-running operation stay ``InProgress`` forever."""
        self._add(_Rule("lro_never_finish", method, path_contains))

    def stale_read(self, n: int = 1, *, method: str | None = "GET", path_contains: str | None = None) -> None:
        """Answer the next ``n`` matching reads with the resource as it was before its latest write.

        Reads that Azure serves from a replica which has not seen the write yet; a resource never written
        since the emulator started reads normally.
        """
        self._add(_Rule("stale_read", method, path_contains, remaining=n))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def apply(self, spec: dict[str, Any]) -> None:
        """Add a rule from its JSON form: ``{"kind": "fail_next", "n": 1, "status": 500, ...}``."""
        args = dict(spec)
        kind = args.pop("kind", None)
        if kind == "fail_next":
            self.fail_next(int(args.pop("n", 1)), int(args.pop("status")), **args)
        elif kind == "latency":
            self.latency(float(args.pop("seconds")), **args)
        elif kind == "lro_fail":
            self.lro_fail(**args)
        elif kind == "lro_never_finish":
            self.lro_never_finish(**args)
        elif kind == "stale_read":
            self.stale_read(int(args.pop("n", 1)), **args)
        else:
            raise ValueError(f"unknown fault kind {kind!r}")

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(vars(rule)) for rule in self._rules]

    def delay_for(self, method: str, path: str) -> float:
        with self._lock:
            return sum(r.seconds for r in self._rules if r.kind == "latency" and r.matches(method, path))

    def take_failure(self, method: str, path: str) -> tuple[ApiError, bool] | None:
        """The error to answer with, and whether the call is carried out first."""
        rule = self._take("fail_next", method, path)
        return None if rule is None else (_failure(rule, method, path), rule.applied)

    def take_stale_read(self, method: str, path: str) -> bool:
        """True when this read must be answered from before the latest write (consumes the rule)."""
        return self._take("stale_read", method, path) is not None

    def take_lro(self, method: str, path: str) -> LroFault | None:
        with self._lock:
            for rule in self._rules:
                if rule.kind in ("lro_fail", "lro_never_finish") and rule.matches(method, path):
                    self._rules.remove(rule)
                    if rule.kind == "lro_never_finish":
                        return LroFault(never_finish=True, error=None)
                    error = {"code": rule.code or "", "message": rule.message or ""}
                    return LroFault(False, error, applied=rule.applied)
        return None

    def _add(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def _take(self, kind: str, method: str, path: str) -> _Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.kind == kind and rule.matches(method, path):
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                    return rule
        return None


def _failure(rule: _Rule, method: str, path: str) -> ApiError:
    code = rule.code or _DEFAULT_CODES.get(rule.status, f"Http{rule.status}")
    message = rule.message or default_message(rule.status, method, path)
    headers: dict[str, str] = {}
    retry_after = rule.retry_after if rule.retry_after is not None else (1 if rule.status == 429 else None)
    if retry_after is not None:
        headers["Retry-After"] = f"{retry_after:g}"
    if rule.status == 429:
        headers[
            "x-ms-ratelimit-remaining-subscription-reads"
            if method == "GET"
            else "x-ms-ratelimit-remaining-subscription-writes"
        ] = "0"
    return ApiError(rule.status, code, message, headers)


def default_message(status: int, method: str, path: str) -> str:
    """The real ARM wording for an injected failure of this status."""
    if status == 403:
        return (
            f"The client '{EMULATOR_CLIENT_ID}' with object id '{EMULATOR_CLIENT_ID}' does not have "
            f"authorization to perform action '{arm_action(method, path)}' over scope '{path}' or the "
            "scope is invalid. If access was recently granted, please refresh your credentials."
        )
    if status == 404:
        return not_found_message(path)
    if status == 409:
        return (
            f"Cannot modify the resource '{path}' because another operation is in progress on it. "
            "Please retry after the operation completes."
        )
    if status == 429:
        kind = "Reads" if method == "GET" else "Writes"
        return (
            f"The request is being throttled as the limit has been reached for operation type - {kind}. "
            "For more information, see - https://aka.ms/armthrottling"
        )
    if status == 401:
        return "The access token is invalid."
    return "The server encountered an internal error. Please retry the request."


def _provider_parts(path: str) -> tuple[str, list[str], str]:
    """Split an ARM path into (namespace, [type, name, type, name, ...], resource group)."""
    segments = [s for s in path.split("/") if s]
    lowered = [s.lower() for s in segments]
    rg = segments[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered[:-1] else ""
    if "providers" not in lowered[:-1]:
        return "", [], rg
    at = len(lowered) - 1 - lowered[::-1].index("providers")
    return segments[at + 1], segments[at + 2 :], rg


def arm_action(method: str, path: str) -> str:
    """RBAC action for a call, e.g. ``Microsoft.App/containerApps/write``."""
    namespace, rest, _ = _provider_parts(path)
    if not namespace:
        return "Microsoft.Resources/subscriptions/resourceGroups/read"
    types = rest[0::2]
    if method == "POST" and len(rest) % 2 == 1:
        return "/".join([namespace, *types[:-1], types[-1], "action"])
    verb = {"GET": "read", "DELETE": "delete"}.get(method, "write")
    return "/".join([namespace, *types, verb])


def not_found_message(path: str) -> str:
    """ARM's ResourceNotFound wording for the resource a path names."""
    namespace, rest, rg = _provider_parts(path)
    resource = "/".join([namespace, *rest[: len(rest) - len(rest) % 2]]) if namespace else path
    return (
        f"The Resource '{resource}' under resource group '{rg}' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix"
    )
