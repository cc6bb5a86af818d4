"""Log Analytics query API (``POST /v1/workspaces/{id}/query``), answered from the estate.

The emulator does not run KQL. It recognises which of rollback-bot's named queries a text is by the
result columns the text names, and computes that result from the workspace's application model
(``app_signals``) over the request's ``timespan``:

* names ``p95_ms`` → ``by_revision`` (``revision``, ``calls``, ``errors``, ``p95_ms``);
* names ``model_version`` → ``by_model`` (``deployment``, ``model_version``, ``calls``, ``errors``);
* names ``with_prompt_version`` (or ``with_version``) → ``prompt_versions`` (``total`` and that column);
* names ``prompt``, ``version`` and ``calls`` → ``by_prompt_version``.

A workspace's ``results`` (canned answers: ``{match, columns, rows, partial?}``, ``match`` a substring of
the query) are answered first, as stored: a wrong shape or a partial result on purpose. Anything else is a
400 ``BadArgumentError``. The answer has the official shape: ``{"tables": [{"name": "PrimaryResult",
"columns": [{"name", "type"}], "rows": [[…]]}]}``, plus ``"error": {"code": "PartialError", …}`` for a
partial result.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sandbox.emulators.azure.app_signals import Calls, aggregate, simulate, stored_prompts, whole, workspaces
from sandbox.emulators.azure.arm import Route, route
from sandbox.emulators.azure.wire import JSON, ApiError, Request, Response, parse_time, utc_now

if TYPE_CHECKING:
    from sandbox.emulators.azure.core import Core

QUERY_PATH = r"/v1/workspaces/(?P<workspace>[^/]+)/query"
_DURATION = re.compile(
    r"P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?"
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def bad_argument(message: str) -> ApiError:
    """Log Analytics' answer to a request it cannot run."""
    return ApiError(400, "BadArgumentError", message)


def query(core: Core, req: Request, match: re.Match[str]) -> Response:
    """Run one query against the workspace in the path."""
    workspace_id = match.group("workspace").lower()
    workspace = workspaces(core).get(workspace_id)
    if workspace is None:
        raise ApiError(404, "PathNotFoundError", f"The workspace {match.group('workspace')} could not be found.")
    body = req.body if isinstance(req.body, dict) else {}
    text = body.get("query")
    if not isinstance(text, str) or not text.strip():
        raise bad_argument("The request had some invalid properties: 'query' is required.")
    start, end = timespan(body.get("timespan"))
    canned = next((r for r in workspace.get("results") or [] if str(r.get("match", "")) in text), None)
    if canned is not None:
        return _canned(canned)
    source = core.prompt_sources.get(workspace_id)
    prompts = source() if source is not None else stored_prompts(workspace)
    calls = simulate(core, workspace, start, end, prompts)
    unversioned = float(workspace.get("unversionedShare", 0.0))
    return Response(200, {"tables": [_answer(text, calls, unversioned)]})


def _answer(text: str, calls: list[Calls], unversioned: float) -> JSON:
    words = set(_WORD.findall(text))
    if "p95_ms" in words:
        return _by_revision(calls)
    if "model_version" in words:
        groups = aggregate(calls, lambda c: (c.deployment, c.model_version))
        return _groups(("deployment", "model_version"), groups, scale=1.0)
    if words & {"with_prompt_version", "with_version"}:
        total = whole(sum(c.calls for c in calls))
        name = "with_prompt_version" if "with_prompt_version" in words else "with_version"
        return table([("total", "long"), (name, "long")], [[total, whole(total * (1 - unversioned))]])
    if {"prompt", "version", "calls"} <= words:
        groups = aggregate([c for c in calls if c.prompt], lambda c: (c.prompt, c.prompt_version))
        return _groups(("prompt", "version"), groups, scale=1 - unversioned)
    raise bad_argument(
        "The emulator answers rollback-bot's named queries only (prompt_versions, by_revision, "
        "by_prompt_version, by_model), recognised by the result columns they name."
    )


def _by_revision(calls: list[Calls]) -> JSON:
    rows: list[list[Any]] = []
    for (revision,), (n, errors, weighted) in aggregate(calls, lambda c: (c.revision,)).items():
        if whole(n):
            rows.append([revision, whole(n), whole(errors), round(weighted / n, 1)])
    rows.sort(key=lambda row: (-int(row[1]), str(row[0])))
    return table([("revision", "string"), ("calls", "long"), ("errors", "long"), ("p95_ms", "real")], rows)


def _groups(keys: tuple[str, str], groups: dict[tuple[str, ...], list[float]], *, scale: float) -> JSON:
    rows: list[list[Any]] = []
    for key, (n, errors, _) in groups.items():
        if whole(n * scale):
            rows.append([*key, whole(n * scale), whole(errors * scale)])
    rows.sort(key=lambda row: (-int(row[2]), str(row[0]), str(row[1])))
    columns = [(keys[0], "string"), (keys[1], "string"), ("calls", "long"), ("errors", "long")]
    return table(columns, rows)


def table(columns: list[tuple[str, str]], rows: list[list[Any]]) -> JSON:
    """One result table in the service's shape."""
    return {"name": "PrimaryResult", "columns": [{"name": n, "type": t} for n, t in columns], "rows": rows}


def _canned(result: JSON) -> Response:
    """A stored answer: ``columns`` as names (typed from the first row) or ``{name, type}``; ``partial`` adds the
    service's PartialError; ``error`` (``{status, code, message}``) fails the query instead."""
    if result.get("error"):
        error = result["error"]
        raise ApiError(int(error.get("status", 400)), str(error.get("code")), str(error.get("message")))
    rows = [list(row) for row in result.get("rows") or []]
    columns = [
        (c["name"], c["type"]) if isinstance(c, dict) else (str(c), _type(rows[0][i] if rows else None))
        for i, c in enumerate(result.get("columns") or [])
    ]
    body: JSON = {"tables": [table(columns, rows)]}
    if result.get("partial"):
        body["error"] = {"code": "PartialError", "message": str(result["partial"])}
    return Response(200, body)


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "real"
    return "string"


def timespan(value: Any) -> tuple[datetime, datetime]:
    """``start/end``, ``start/duration``, ``duration/end`` or ``duration`` (ending now); none: the last day."""
    now = utc_now()
    if not value:
        return now - timedelta(days=1), now
    parts = str(value).split("/")
    try:
        if len(parts) == 1:
            return now - _duration(parts[0]), now
        first, second = parts
        if first.startswith("P"):
            end = parse_time(second)
            return end - _duration(first), end
        start = parse_time(first)
        return start, (start + _duration(second) if second.startswith("P") else parse_time(second))
    except ValueError as exc:
        raise bad_argument(f"The timespan {value!r} is not an ISO 8601 interval.") from exc


def _duration(text: str) -> timedelta:
    match = _DURATION.fullmatch(text)
    if match is None or text in ("P", "PT"):
        raise ValueError(text)
    units = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
    return timedelta(**{units[k]: float(v) for k, v in match.groupdict().items() if v})


ROUTES: list[Route] = [route("POST", QUERY_PATH, query)]
