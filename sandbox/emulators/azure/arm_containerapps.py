"""Microsoft.App: container apps (GET, PUT, PATCH as an LRO) and their revisions."""

from __future__ import annotations

import copy
import re
import secrets
import string
from typing import TYPE_CHECKING

from sandbox.emulators.azure import aca_model as aca
from sandbox.emulators.azure.arm import NAME, RG_PREFIX, Route, json_body, merge_patch, paged, route
from sandbox.emulators.azure.lro import LroSpec
from sandbox.emulators.azure.wire import JSON, ApiError, Request, Response, bad_request, utc_now

if TYPE_CHECKING:
    from sandbox.emulators.azure.core import Core

APPS = rf"{RG_PREFIX}/Microsoft\.App/containerApps"
APP = rf"{APPS}/(?P<app>{NAME})"
REVISION = rf"{APP}/revisions/(?P<rev>{NAME})"
READ_ONLY = ("id", "name", "type", "systemData")


def _app_id(m: re.Match[str]) -> str:
    return f"/subscriptions/{m['sub']}/resourceGroups/{m['rg']}/providers/Microsoft.App/containerApps/{m['app']}"


def list_apps(core: Core, req: Request, m: re.Match[str]) -> Response:
    prefix = f"/subscriptions/{m['sub']}/resourceGroups/{m['rg']}/providers/Microsoft.App/containerApps/".lower()
    apps = [r for key, r in core.resources.items() if key.startswith(prefix) and "/" not in key[len(prefix) :]]
    return paged(req, apps)


def get_app(core: Core, req: Request, m: re.Match[str]) -> Response:
    app_id = _app_id(m)
    core.lro.touch(app_id)
    return Response(200, core.get(app_id))


def patch_app(core: Core, req: Request, m: re.Match[str]) -> Response:
    """Merge-patch, validated now and committed when the LRO succeeds; 202 + monitors."""
    app = core.get(_app_id(m))
    _refuse_if_busy(core, app)
    candidate = merge_patch(copy.deepcopy(app), _writable(json_body(req)))
    new_revision = _prepare(core, app, candidate)
    aca.props(app)["provisioningState"] = "InProgress"

    def succeed() -> None:
        _commit(core, candidate, new_revision)

    def fail() -> None:
        aca.props(app)["provisioningState"] = "Failed"

    spec = LroSpec(
        m["sub"], "Microsoft.App", _location(app), "containerappOperationStatuses", "containerappOperationResults"
    )
    fault = core.faults.take_lro(req.method, req.path)
    _, headers = core.lro.start(req, spec, resource_id=str(app["id"]), fault=fault, on_success=succeed, on_failure=fail)
    return Response(202, None, headers)


def put_app(core: Core, req: Request, m: re.Match[str]) -> Response:
    """Create or replace an app synchronously: 200 (replaced) or 201 (created), body Succeeded."""
    app_id = _app_id(m)
    existing = core.find(app_id)
    if existing is not None:
        _refuse_if_busy(core, existing)
    candidate = _writable(json_body(req))
    candidate.update({"id": app_id, "name": m["app"], "type": aca.APP_TYPE})
    if existing is not None:
        for key in ("latestRevisionName", "latestReadyRevisionName", "latestRevisionFqdn"):
            if key in aca.props(existing):
                aca.props(candidate)[key] = aca.props(existing)[key]
    _default_ingress_fqdn(candidate, existing)
    new_revision = _prepare(core, existing or candidate, candidate)
    _commit(core, candidate, new_revision)
    return Response(200 if existing is not None else 201, core.get(app_id))


def list_revisions(core: Core, req: Request, m: re.Match[str]) -> Response:
    app = core.get(_app_id(m))
    revisions = aca.revisions_of(core, app)
    if any(str(r["id"]).lower() in core.provisioning for r in revisions):
        for revision in revisions:
            aca.observe_provisioning(core, revision)
        aca.sync(core, app)
        core.persist()
    return paged(req, revisions)


def get_revision(core: Core, req: Request, m: re.Match[str]) -> Response:
    revision = _revision(core, m)
    if str(revision["id"]).lower() in core.provisioning:
        aca.observe_provisioning(core, revision)
        aca.sync(core, core.get(_app_id(m)))
        core.persist()
    return Response(200, revision)


def activate(core: Core, req: Request, m: re.Match[str]) -> Response:
    revision = _revision(core, m)
    aca.update_revision(revision, active=True)
    aca.sync(core, core.get(_app_id(m)))
    return Response(200)


def deactivate(core: Core, req: Request, m: re.Match[str]) -> Response:
    revision = _revision(core, m)
    weight = int(aca.props(revision).get("trafficWeight") or 0)
    if weight > 0:
        raise bad_request(
            "ContainerAppRevisionHasTraffic",
            f"Revision '{m['rev']}' receives {weight}% of the traffic and cannot be deactivated; "
            "shift its traffic to another revision first.",
        )
    aca.update_revision(revision, active=False)
    aca.props(revision)["lastActiveTime"] = utc_now().isoformat()
    aca.sync(core, core.get(_app_id(m)))
    return Response(200)


def restart(core: Core, req: Request, m: re.Match[str]) -> Response:
    revision = _revision(core, m)
    if not aca.props(revision).get("active"):
        raise bad_request("ContainerAppRevisionNotActive", f"Revision '{m['rev']}' is not active.")
    return Response(200)


def _revision(core: Core, m: re.Match[str]) -> JSON:
    core.get(_app_id(m))
    return core.get(f"{_app_id(m)}/revisions/{m['rev']}")


def _writable(body: JSON) -> JSON:
    return {k: v for k, v in body.items() if k not in READ_ONLY}


def _location(app: JSON) -> str:
    return str(app.get("location") or "eastus").replace(" ", "").lower()


def _refuse_if_busy(core: Core, app: JSON) -> None:
    if core.lro.pending(str(app["id"])) is not None:
        raise ApiError(
            409,
            "ContainerAppOperationInProgress",
            f"Cannot modify container app '{app['name']}' because another operation is in progress. "
            "Please retry after the operation completes.",
        )


def _prepare(core: Core, app: JSON, candidate: JSON) -> JSON | None:
    """Validate ``candidate``; build the new revision a template change creates (not yet stored)."""
    revisions = aca.revisions_of(core, app) if core.find(str(app["id"])) else []
    new_revision = _new_revision(app, candidate, revisions)
    if new_revision is not None:
        revisions = [*revisions, new_revision]
        aca.props(candidate)["latestRevisionName"] = new_revision["name"]
    aca.validate_traffic(candidate, revisions)
    return new_revision


def _new_revision(app: JSON, candidate: JSON, revisions: list[JSON]) -> JSON | None:
    template = aca.props(candidate).get("template")
    if not isinstance(template, dict) or not template.get("containers"):
        return None
    if revisions and _same_template(template, aca.props(revisions[-1])["template"]):
        return None
    suffix = str(template.get("revisionSuffix") or "")
    names = {str(r["name"]) for r in revisions}
    if not suffix or f"{candidate['name']}--{suffix}" in names:
        suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(7))
    return aca.build_revision(candidate, f"{candidate['name']}--{suffix}", copy.deepcopy(template), utc_now())


def _same_template(a: JSON, b: JSON) -> bool:
    """A revision-scope change (image, command, environment variables, suffix) makes a new revision."""

    def scope(t: JSON) -> list[tuple[object, ...]]:
        return [
            (c.get("image"), c.get("command"), c.get("args"), sorted(_env_pairs(c.get("env"))))
            for c in t.get("containers", [])
        ]

    return scope(a) == scope(b) and a.get("revisionSuffix", b.get("revisionSuffix")) == b.get("revisionSuffix")


def _env_pairs(env: object) -> list[tuple[str, str]]:
    if not isinstance(env, list):
        return []
    return [(str(e.get("name")), str(e.get("value", e.get("secretRef", "")))) for e in env if isinstance(e, dict)]


def _default_ingress_fqdn(candidate: JSON, existing: JSON | None) -> None:
    ingress = aca.ingress(candidate)
    if ingress is not None and not ingress.get("fqdn"):
        domain = aca.app_domain(existing) if existing else aca.env_domain("env", _location(candidate))
        ingress["fqdn"] = f"{candidate['name']}.{domain}"


def _commit(core: Core, candidate: JSON, new_revision: JSON | None) -> None:
    aca.props(candidate)["provisioningState"] = "Succeeded"
    aca.props(candidate).setdefault("runningStatus", "Running")
    core.put(candidate)
    if new_revision is not None:
        if aca.mode(candidate) == "Single":
            for revision in aca.revisions_of(core, candidate):
                aca.update_revision(revision, active=False)
        aca.start_provisioning(core, new_revision)
        core.put(new_revision)
    aca.sync(core, candidate)


ROUTES: list[Route] = [
    route("GET", APPS, list_apps),
    route("GET", APP, get_app),
    route("PATCH", APP, patch_app),
    route("PUT", APP, put_app),
    route("GET", rf"{APP}/revisions", list_revisions),
    route("GET", REVISION, get_revision),
    route("POST", rf"{REVISION}/activate", activate),
    route("POST", rf"{REVISION}/deactivate", deactivate),
    route("POST", rf"{REVISION}/restart", restart),
]
