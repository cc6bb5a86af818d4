"""Helpers shared by the ARM resource providers: routes, ids, merge-patch, paging."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.emulators.azure.wire import JSON, Request, Response, bad_request

if TYPE_CHECKING:
    from sandbox.emulators.azure.core import Core

Handler = Callable[["Core", Request, re.Match[str]], Response]

RG_PREFIX = r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers"
NAME = r"[^/]+"


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def route(method: str, pattern: str, handler: Handler) -> Route:
    return Route(method, re.compile(pattern, re.IGNORECASE), handler)


def rg_id(sub: str, rg: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}"


def merge_patch(target: JSON, patch: JSON) -> JSON:
    """RFC 7386 JSON merge-patch, in place: objects merge, arrays and scalars replace, null deletes."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            merge_patch(target[key], value)
        else:
            target[key] = _copy(value)
    return target


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return merge_patch({}, value)
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def json_body(req: Request) -> JSON:
    """The request body as a JSON object, or a 400 ``InvalidRequestContent``."""
    if not isinstance(req.body, dict):
        raise bad_request("InvalidRequestContent", "The request content was invalid and could not be deserialized.")
    return req.body


def paged(req: Request, items: list[JSON], page_size: int = 2) -> Response:
    """One page of ``items`` with an absolute ``nextLink`` (``$skiptoken`` = offset) when more remain."""
    try:
        start = max(0, int(req.query.get("$skiptoken", "0")))
    except ValueError as exc:
        raise bad_request("InvalidSkipToken", "The $skiptoken query parameter is invalid.") from exc
    end = start + page_size
    body: JSON = {"value": items[start:end]}
    if end < len(items):
        body["nextLink"] = f"{req.base_url}{req.path}?api-version={req.api_version}&$skiptoken={end}"
    return Response(200, body)
