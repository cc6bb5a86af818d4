"""Microsoft.CognitiveServices: accounts, deployments (PUT as an LRO, PATCH sku/tags) and model catalogs."""

from __future__ import annotations

import copy
import re
from datetime import datetime
from typing import TYPE_CHECKING

from sandbox.emulators.azure.arm import NAME, RG_PREFIX, Route, json_body, paged, route
from sandbox.emulators.azure.lro import LroSpec
from sandbox.emulators.azure.wire import JSON, ApiError, Request, Response, bad_request, iso, parse_time, utc_now

if TYPE_CHECKING:
    from sandbox.emulators.azure.core import Core

ACCOUNT = rf"{RG_PREFIX}/Microsoft\.CognitiveServices/accounts/(?P<account>{NAME})"
DEPLOYMENT = rf"{ACCOUNT}/deployments/(?P<dep>{NAME})"
LOCATION_MODELS = (
    r"/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.CognitiveServices"
    r"/locations/(?P<loc>[^/]+)/models"
)
DEPLOYMENT_TYPE = "Microsoft.CognitiveServices/accounts/deployments"


def _account_id(m: re.Match[str]) -> str:
    return (
        f"/subscriptions/{m['sub']}/resourceGroups/{m['rg']}/providers/Microsoft.CognitiveServices"
        f"/accounts/{m['account']}"
    )


def get_account(core: Core, req: Request, m: re.Match[str]) -> Response:
    return Response(200, core.get(_account_id(m)))


def list_deployments(core: Core, req: Request, m: re.Match[str]) -> Response:
    account_id = _account_id(m)
    core.get(account_id)
    return paged(req, core.children(account_id, "deployments"))


def get_deployment(core: Core, req: Request, m: re.Match[str]) -> Response:
    deployment_id = f"{_account_id(m)}/deployments/{m['dep']}"
    core.lro.touch(deployment_id)
    return Response(200, core.get(deployment_id))


def put_deployment(core: Core, req: Request, m: re.Match[str]) -> Response:
    """Create or update: 201 + ``Azure-AsyncOperation``, body ``Creating``; ``Succeeded`` once polled."""
    account = core.get(_account_id(m))
    deployment_id = f"{account['id']}/deployments/{m['dep']}"
    body = json_body(req)
    model = _validated_model(core, account, body)
    previous = copy.deepcopy(core.find(deployment_id))
    if previous is not None and core.lro.pending(deployment_id):
        raise ApiError(409, "RequestConflict", f"Deployment '{m['dep']}' has an operation in progress.")
    deployment = _deployment_json(deployment_id, m["dep"], body, model, previous)
    core.put(deployment)

    def succeed() -> None:
        deployment["properties"]["provisioningState"] = "Succeeded"
        _record_history(core, deployment_id, model)

    def fail() -> None:
        core.put(previous or deployment)
        (previous or deployment)["properties"]["provisioningState"] = "Failed"

    spec = LroSpec(m["sub"], "Microsoft.CognitiveServices", _location(account), "operationStatuses", "operationResults")
    _, headers = core.lro.start(
        req,
        spec,
        resource_id=deployment_id,
        fault=core.faults.take_lro(req.method, req.path),
        on_success=succeed,
        on_failure=fail,
    )
    return Response(201, deployment, {k: v for k, v in headers.items() if k != "Location"})


def patch_deployment(core: Core, req: Request, m: re.Match[str]) -> Response:
    """``PatchResourceTagsAndSku``: only ``sku`` and ``tags`` may change; answered synchronously."""
    deployment = core.get(f"{_account_id(m)}/deployments/{m['dep']}")
    body = json_body(req)
    extra = sorted(set(body) - {"sku", "tags"})
    if extra:
        raise bad_request(
            "InvalidRequestContent",
            f"Only 'sku' and 'tags' can be updated with PATCH; got {', '.join(extra)}. "
            "Use PUT to change the model version.",
        )
    if isinstance(body.get("sku"), dict):
        deployment.setdefault("sku", {}).update(body["sku"])
    if isinstance(body.get("tags"), dict):
        deployment["tags"] = dict(body["tags"])
    return Response(200, deployment)


def account_models(core: Core, req: Request, m: re.Match[str]) -> Response:
    account_id = _account_id(m)
    core.get(account_id)
    models: list[JSON] = core.state["accountModels"].get(account_id.lower(), [])
    return Response(200, {"value": models})


def location_models(core: Core, req: Request, m: re.Match[str]) -> Response:
    key = f"{m['sub']}/{m['loc']}".lower()
    models: list[JSON] = core.state["locationModels"].get(key, [])
    return paged(req, models, page_size=50)


def _location(account: JSON) -> str:
    return str(account.get("location") or "eastus").replace(" ", "").lower()


def _validated_model(core: Core, account: JSON, body: JSON) -> JSON:
    model = body.get("properties", {}).get("model") if isinstance(body.get("properties"), dict) else None
    if not isinstance(model, dict) or not model.get("name") or not model.get("version"):
        raise bad_request("InvalidResourceProperties", "properties.model with format, name and version is required.")
    if not isinstance(body.get("sku"), dict) or not body["sku"].get("name"):
        raise bad_request("InvalidResourceProperties", "sku with a name is required.")
    catalog: list[JSON] = core.state["accountModels"].get(str(account["id"]).lower(), [])
    entry = next(
        (e for e in catalog if e.get("name") == model["name"] and str(e.get("version")) == str(model["version"])), None
    )
    if entry is None:
        raise bad_request(
            "DeploymentModelNotSupported",
            f"The model '{model.get('format', 'OpenAI')}:{model['name']}:{model['version']}' is not "
            f"supported on account '{account['name']}'. List the deployable versions with "
            "accounts.list_models.",
        )
    _refuse_deprecated(entry)
    return {
        "format": model.get("format") or entry.get("format", "OpenAI"),
        "name": model["name"],
        "version": str(model["version"]),
    }


def _refuse_deprecated(entry: JSON) -> None:
    retired = entry.get("deprecation", {}).get("inference")
    if entry.get("lifecycleStatus") == "Deprecated" or deprecated_before(entry, utc_now()):
        raise bad_request(
            "ServiceModelDeprecated",
            f"The model '{entry['name']}' version '{entry['version']}' is deprecated "
            f"(inference retired {retired or 'already'}) and can no longer be deployed.",
        )


def _deployment_json(deployment_id: str, name: str, body: JSON, model: JSON, previous: JSON | None) -> JSON:
    properties = {k: v for k, v in body["properties"].items() if k != "provisioningState"}
    properties.update({"model": model, "provisioningState": "Creating"})
    upgrade = (previous or {}).get("properties", {}).get("versionUpgradeOption", "OnceNewDefaultVersionAvailable")
    properties.setdefault("versionUpgradeOption", upgrade)
    deployment: JSON = {
        "id": deployment_id,
        "name": name,
        "type": DEPLOYMENT_TYPE,
        "sku": dict(body["sku"]),
        "properties": properties,
    }
    if isinstance(body.get("tags"), dict):
        deployment["tags"] = dict(body["tags"])
    if previous and "systemData" in previous:
        deployment["systemData"] = dict(previous["systemData"], lastModifiedAt=iso(utc_now()))
    return deployment


def _record_history(core: Core, deployment_id: str, model: JSON) -> None:
    history: list[JSON] = core.state["deploymentHistory"].setdefault(deployment_id.lower(), [])
    if not history or history[-1]["model"] != model:
        history.append({"model": dict(model), "since": iso(utc_now())})


def move_deployment(core: Core, deployment_id: str, version: str, *, by: str = "Microsoft") -> JSON:
    """Move a deployment to another version of its model outside any client's PUT: what Azure's automatic upgrade
    does (``by`` Microsoft), or a person in the portal. The version must be in the account's catalog."""
    deployment = core.get(deployment_id)
    account_id = deployment_id.rsplit("/deployments/", 1)[0]
    model = dict(deployment["properties"]["model"])
    catalog: list[JSON] = core.state["accountModels"].get(account_id.lower(), [])
    if not any(e.get("name") == model.get("name") and str(e.get("version")) == version for e in catalog):
        raise bad_request("DeploymentModelNotSupported", f"{model.get('name')} {version} is not in the catalog.")
    model["version"] = version
    deployment["properties"]["model"] = model
    deployment["properties"]["provisioningState"] = "Succeeded"
    deployment["systemData"] = dict(
        deployment.get("systemData") or {}, lastModifiedAt=iso(utc_now()), lastModifiedBy=by
    )
    _record_history(core, deployment_id, model)
    return deployment


def deprecated_before(entry: JSON, moment: datetime) -> bool:
    """Whether a catalog entry's inference deprecation date is at or before ``moment``."""
    retired = entry.get("deprecation", {}).get("inference")
    return bool(retired) and parse_time(str(retired)) <= moment


ROUTES: list[Route] = [
    route("GET", ACCOUNT, get_account),
    route("GET", rf"{ACCOUNT}/deployments", list_deployments),
    route("GET", DEPLOYMENT, get_deployment),
    route("PUT", DEPLOYMENT, put_deployment),
    route("PATCH", DEPLOYMENT, patch_deployment),
    route("GET", rf"{ACCOUNT}/models", account_models),
    route("GET", LOCATION_MODELS, location_models),
]
