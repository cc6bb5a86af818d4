"""The emulator's own surface: ``/_emulator/*`` (state, faults, revisions, requests) and ``/_apps/*`` health.

No authentication; answered to loopback clients only.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from typing import TYPE_CHECKING, Any

from sandbox.emulators.azure import aca_model as aca
from sandbox.emulators.azure import app_signals
from sandbox.emulators.azure.arm import Route, json_body, route
from sandbox.emulators.azure.estate import resolve_time
from sandbox.emulators.azure.wire import JSON, ApiError, Request, Response, bad_request, utc_now

if TYPE_CHECKING:
    from sandbox.emulators.azure.core import Core

REVISION_OPTIONS = (
    "image",
    "healthy",
    "active",
    "replicas",
    "created",
    "traffic_weight",
    "health_state",
    "running_state",
    "provisioning_state",
)


def set_revision(
    core: Core, subscription: str | None, resource_group: str | None, app_name: str, revision_name: str, **options: Any
) -> JSON:
    """Add or change a revision (caller holds the lock); see ``AzureEmulator.set_revision``."""
    unknown = sorted(set(options) - set(REVISION_OPTIONS))
    if unknown:
        raise bad_request("InvalidRevisionOptions", f"Unknown revision option(s): {', '.join(unknown)}.")
    app = find_app(core, subscription, resource_group, app_name)
    saved = copy.deepcopy(core.resources)
    try:
        return _set_revision(core, app, revision_name, options)
    except ApiError:
        core.resources.clear()
        core.resources.update(saved)
        raise


def _set_revision(core: Core, app: JSON, revision_name: str, options: dict[str, Any]) -> JSON:
    weight = options.pop("traffic_weight", None)
    created = options.pop("created", None)
    full = revision_name if "--" in revision_name else f"{app['name']}--{revision_name}"
    revision = core.find(f"{app['id']}/revisions/{full}")
    if revision is None:
        revision = _new_revision(core, app, full, created, options)
    else:
        aca.update_revision(revision, **options)
        if created is not None:
            aca.props(revision)["createdTime"] = resolve_time(created).isoformat()
    aca.sync(core, app)
    if weight is not None and aca.mode(app) == "Multiple":
        aca.rebalance(app, aca.revisions_of(core, app), full, int(weight))
        aca.validate_traffic(app, aca.revisions_of(core, app))
        aca.sync(core, app)
    return revision


def _new_revision(core: Core, app: JSON, full: str, created: Any, options: dict[str, Any]) -> JSON:
    latest = aca.revisions_of(core, app)
    image = options.pop("image", None) or (
        aca.props(latest[-1])["template"]["containers"][0]["image"]
        if latest
        else "mcr.microsoft.com/k8se/quickstart:latest"
    )
    template = aca.container_template(str(app["name"]), str(image), full.split("--", 1)[1])
    revision = aca.build_revision(app, full, template, resolve_time(created) if created else utc_now(), **options)
    if aca.mode(app) == "Single" and revision["properties"]["active"]:
        for other in latest:
            aca.update_revision(other, active=False)
    return core.put(revision)


def set_traffic(core: Core, app: JSON, rules: list[JSON]) -> None:
    """Replace ``app``'s traffic rules (caller holds the lock); a 400 like ARM's for an invalid list."""
    candidate = copy.deepcopy(app)
    ingress = aca.props(candidate).setdefault("configuration", {}).setdefault("ingress", {})
    ingress["traffic"] = rules
    aca.validate_traffic(candidate, aca.revisions_of(core, app))
    core.before_write[str(app["id"]).lower()] = copy.deepcopy(app)
    aca.props(app)["configuration"]["ingress"]["traffic"] = rules
    aca.sync(core, app)


def find_app(core: Core, subscription: str | None, resource_group: str | None, name: str) -> JSON:
    """The container app called ``name`` (subscription and resource group narrow the search)."""
    found = [
        r
        for r in core.resources.values()
        if r.get("type") == aca.APP_TYPE
        and r["name"] == name
        and (not subscription or f"/subscriptions/{subscription}/".lower() in str(r["id"]).lower())
        and (not resource_group or f"/resourcegroups/{resource_group}/".lower() in str(r["id"]).lower())
    ]
    if len(found) != 1:
        what = "No" if not found else "More than one"
        raise ApiError(
            404 if not found else 400,
            "ResourceNotFound" if not found else "AmbiguousApp",
            f"{what} container app named '{name}' in the estate; give subscription and resource_group.",
        )
    return found[0]


def get_state(core: Core, req: Request, m: re.Match[str]) -> Response:
    return Response(200, core.snapshot())


def get_faults(core: Core, req: Request, m: re.Match[str]) -> Response:
    return Response(200, {"faults": core.faults.describe()})


def add_fault(core: Core, req: Request, m: re.Match[str]) -> Response:
    try:
        core.faults.apply(json_body(req))
    except (TypeError, ValueError, KeyError) as exc:
        raise bad_request("InvalidFault", f"Cannot add fault: {exc}") from exc
    return Response(200, {"faults": core.faults.describe()})


def clear_faults(core: Core, req: Request, m: re.Match[str]) -> Response:
    core.faults.clear()
    return Response(200, {"faults": []})


def add_revision(core: Core, req: Request, m: re.Match[str]) -> Response:
    body = dict(json_body(req))
    try:
        sub, rg = body.pop("subscription", None), body.pop("resource_group", None)
        app, name = str(body.pop("app")), str(body.pop("name"))
    except KeyError as exc:
        raise bad_request("InvalidRevision", f"Missing field {exc}; need app and name.") from exc
    options = {k: v for k, v in body.items() if v is not None}
    return Response(200, set_revision(core, sub, rg, app, name, **options))


def get_requests(core: Core, req: Request, m: re.Match[str]) -> Response:
    return Response(200, {"requests": [dataclasses.asdict(r) for r in core.requests.snapshot()]})


def clear_requests(core: Core, req: Request, m: re.Match[str]) -> Response:
    core.requests.reset()
    return Response(200, {"requests": []})


def app_health(core: Core, req: Request, m: re.Match[str]) -> Response:
    """200 ``{"status": "ok"}`` when the revision is active and healthy, else 503 (401 without a required code)."""
    if core.health_code is not None and req.query.get("code") != core.health_code:
        return Response(401, {"status": "unauthorized", "error": "a valid ?code= is required"})
    suffix = f"/containerapps/{m['app']}/revisions/{m['rev']}".lower()
    found = [r for key, r in core.resources.items() if key.endswith(suffix)]
    if not found:
        raise ApiError(404, "RevisionNotFound", f"No revision '{m['rev']}' of app '{m['app']}' in the estate.")
    revision = found[0]
    p = aca.props(revision)
    body = {
        "revision": revision["name"],
        "image": p["template"]["containers"][0]["image"],
        "healthState": p.get("healthState"),
        "runningState": p.get("runningState"),
    }
    script = core.health_scripts.get(f"{m['app']}/{m['rev']}".lower())
    if script:
        status = script.pop(0) if len(script) > 1 else script[0]
        return Response(status, {"status": "ok" if status == 200 else "scripted", **body})
    if aca.is_healthy(revision):
        return Response(200, {"status": "ok", **body})
    return Response(503, {"status": "unhealthy", **body})


def script_health(core: Core, req: Request, m: re.Match[str]) -> Response:
    """``{app, revision, statuses: [200, 200, 503]}``: what that revision's health endpoint answers next, in order
    (the last one repeats; ``[]`` ends the script). The revision may not exist yet (a deploy will create it)."""
    body = json_body(req)
    statuses = body.get("statuses")
    if not body.get("app") or not body.get("revision") or not isinstance(statuses, list):
        raise bad_request("InvalidHealthScript", "Give app, revision and statuses (a list of HTTP statuses).")
    if any(not isinstance(s, int) or not 100 <= s <= 599 for s in statuses):
        raise bad_request("InvalidHealthScript", "Statuses are HTTP status codes (100-599).")
    revision = str(body["revision"])
    full = revision if "--" in revision else f"{body['app']}--{revision}"
    key = f"{body['app']}/{full}".lower()
    if statuses:
        core.health_scripts[key] = list(statuses)
    else:
        core.health_scripts.pop(key, None)
    return Response(200, {"app": body["app"], "revision": full, "statuses": statuses})


def find_workspace(core: Core, workspace_id: str) -> JSON:
    """The Log Analytics workspace ``workspace_id`` (caller holds the lock), or a 404."""
    found = app_signals.workspaces(core).get(workspace_id.lower())
    if found is None:
        raise ApiError(404, "PathNotFoundError", f"The workspace {workspace_id} could not be found.")
    return found


def activate_prompt(core: Core, req: Request, match: re.Match[str]) -> Response:
    """``{name, version}``: the workspace's application starts using that prompt version now."""
    body = json_body(req)
    if not body.get("name") or body.get("version") in (None, ""):
        raise bad_request("InvalidPrompt", "Give the prompt's name and version.")
    app_signals.activate_prompt(find_workspace(core, match.group("workspace")), str(body["name"]), str(body["version"]))
    return Response(200, {"name": body["name"], "version": str(body["version"])})


ROUTES: list[Route] = [
    route("GET", r"/_emulator/state", get_state),
    route("GET", r"/_emulator/faults", get_faults),
    route("POST", r"/_emulator/faults", add_fault),
    route("POST", r"/_emulator/faults/clear", clear_faults),
    route("POST", r"/_emulator/revisions", add_revision),
    route("POST", r"/_emulator/workspaces/(?P<workspace>[^/]+)/prompts", activate_prompt),
    route("POST", r"/_emulator/health", script_health),
    route("GET", r"/_emulator/requests", get_requests),
    route("DELETE", r"/_emulator/requests", clear_requests),
    route("GET", r"/_apps/(?P<app>[^/]+)/(?P<rev>[^/]+)(?:/.*)?", app_health),
]
