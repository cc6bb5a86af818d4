"""Builders that turn one compact estate item into ARM JSON, shaped like the official REST examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sandbox.emulators.azure import aca_model as aca
from sandbox.emulators.azure.search import index_json, new_etag
from sandbox.emulators.azure.wire import JSON, ApiError, iso, parse_time

if TYPE_CHECKING:
    from sandbox.emulators.azure.core import Core
    from sandbox.emulators.azure.estate import Scope

_TICKS_EPOCH = datetime(1, 1, 1, tzinfo=UTC)


def container_app(core: Core, scope: Scope, spec: dict[str, Any]) -> None:
    """``{name, environment?, revisions_mode?, target_port?, revisions: [{name, image, created, ...}], traffic?}``.

    ``traffic`` (optional) is the whole rule list in ARM form, revision names short or full, e.g.
    ``[{latestRevision: true, weight: 60}, {revisionName: v1, weight: 40, label: blue}]``; without it the
    revisions' ``traffic`` percentages become one ``revisionName`` rule each.
    """
    name = str(spec["name"])
    env = str(spec.get("environment") or f"{scope.resource_group}-env")
    env_id = f"{scope.rg_id()}/providers/Microsoft.App/managedEnvironments/{env}"
    mode = str(spec.get("revisions_mode") or "Multiple").capitalize()
    app: JSON = {
        "id": f"{scope.rg_id()}/providers/Microsoft.App/containerApps/{name}",
        "name": name,
        "type": aca.APP_TYPE,
        "location": scope.location,
        "tags": dict(spec.get("tags") or {}),
        "properties": {
            "provisioningState": "Succeeded",
            "runningStatus": "Running",
            "managedEnvironmentId": env_id,
            "environmentId": env_id,
            "workloadProfileName": "Consumption",
            "configuration": {
                "activeRevisionsMode": mode,
                "maxInactiveRevisions": 100,
                "ingress": {
                    "fqdn": f"{name}.{aca.env_domain(env, scope.location)}",
                    "external": True,
                    "targetPort": int(spec.get("target_port") or 8000),
                    "transport": "auto",
                    "allowInsecure": False,
                },
            },
        },
    }
    core.put(app)
    revisions = [_revision(core, scope, app, item) for item in spec.get("revisions") or []]
    app["properties"]["configuration"]["ingress"]["traffic"] = _traffic(spec, mode, revisions)
    aca.sync(core, app)
    try:
        aca.validate_traffic(app, aca.revisions_of(core, app))
    except ApiError as exc:
        raise ValueError(f"estate: container app {name}: {exc}") from exc


def _revision(core: Core, scope: Scope, app: JSON, item: dict[str, Any]) -> JSON:
    name = str(item["name"])
    full = name if "--" in name else f"{app['name']}--{name}"
    suffix = full.split("--", 1)[1]
    template = aca.container_template(str(app["name"]), str(item["image"]), suffix)
    options = {
        k: item[k]
        for k in ("healthy", "active", "replicas", "health_state", "running_state", "provisioning_state")
        if k in item
    }
    return core.put(aca.build_revision(app, full, template, scope.time(item.get("created")), **options))


def _traffic(spec: dict[str, Any], mode: str, revisions: list[JSON]) -> list[JSON]:
    if spec.get("traffic") is not None:
        return [_rule(str(spec["name"]), dict(item)) for item in spec["traffic"]]
    items = spec.get("revisions") or []
    explicit = [
        (rev["name"], int(item["traffic"]))
        for rev, item in zip(revisions, items, strict=True)
        if item.get("traffic") is not None
    ]
    if mode == "Single" or not explicit:
        return [{"latestRevision": True, "weight": 100}]
    return [{"revisionName": name, "weight": weight} for name, weight in explicit]


def _rule(app: str, item: JSON) -> JSON:
    name = item.get("revisionName")
    if name and "--" not in str(name):
        item["revisionName"] = f"{app}--{name}"
    return item


def openai_account(core: Core, scope: Scope, spec: dict[str, Any]) -> None:
    """``{name, kind?, deployments: [{name, model, version, history?, since?, upgrade?, sku?, capacity?}],
    models: [{name, version, default?, lifecycle?, retires?}]}``."""
    name = str(spec["name"])
    account_id = f"{scope.rg_id()}/providers/Microsoft.CognitiveServices/accounts/{name}"
    core.put(
        {
            "id": account_id,
            "name": name,
            "type": "Microsoft.CognitiveServices/accounts",
            "location": scope.location,
            "kind": str(spec.get("kind") or "OpenAI"),
            "sku": {"name": "S0"},
            "properties": {
                "endpoint": f"https://{name}.openai.azure.com/",
                "provisioningState": "Succeeded",
                "customSubDomainName": name,
                "publicNetworkAccess": "Enabled",
            },
        }
    )
    catalog: dict[tuple[str, str], JSON] = {}
    for item in spec.get("models") or []:
        model = _catalog_model(scope, item)
        catalog[(model["name"], model["version"])] = model
    for item in spec.get("deployments") or []:
        for version in _deployment(core, scope, account_id, item):
            catalog.setdefault(
                (str(item["model"]), version), _catalog_model(scope, {"name": item["model"], "version": version})
            )
    models = list(catalog.values())
    core.state["accountModels"][account_id.lower()] = models
    location_models = core.state["locationModels"].setdefault(f"{scope.subscription}/{scope.location}".lower(), [])
    location_models.extend({"kind": "OpenAI", "skuName": "S0", "model": m} for m in models)


def _deployment(core: Core, scope: Scope, account_id: str, item: dict[str, Any]) -> list[str]:
    """Store one deployment and its history; return every model version it has used."""
    name, model_name = str(item["name"]), str(item["model"])
    history = [h if isinstance(h, dict) else {"version": h} for h in item.get("history") or []]
    history.append({"version": item["version"], "since": item.get("since")})
    records: list[JSON] = []
    for entry in history:
        default = iso(parse_time(records[-1]["since"]) + timedelta(days=1)) if records else "-30d"
        since = scope.time(entry.get("since"), default)
        records.append({"model": _model_ref(model_name, entry["version"]), "since": iso(since)})
    capacity = int(item.get("capacity") or 10)
    deployment_id = f"{account_id}/deployments/{name}"
    core.put(
        {
            "id": deployment_id,
            "name": name,
            "type": "Microsoft.CognitiveServices/accounts/deployments",
            "sku": {"name": str(item.get("sku") or "Standard"), "capacity": capacity},
            "systemData": {"createdAt": records[0]["since"], "lastModifiedAt": records[-1]["since"]},
            "properties": {
                "model": records[-1]["model"],
                "provisioningState": "Succeeded",
                "versionUpgradeOption": str(item.get("upgrade") or "NoAutoUpgrade"),
                "raiPolicyName": "Microsoft.DefaultV2",
                "currentCapacity": capacity,
            },
        }
    )
    core.state["deploymentHistory"][deployment_id.lower()] = records
    return [r["model"]["version"] for r in records]


def _model_ref(name: str, version: Any) -> JSON:
    return {"format": "OpenAI", "name": name, "version": _version(version)}


def _version(value: Any) -> str:
    """YAML reads an unquoted ``2024-05-13`` as a date; versions are strings."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _catalog_model(scope: Scope, item: dict[str, Any]) -> JSON:
    lifecycle = str(item.get("lifecycle") or "GenerallyAvailable")
    retires = scope.time(item.get("retires") or ("-30d" if lifecycle == "Deprecated" else "+365d"))
    name, version = str(item["name"]), _version(item["version"])
    return {
        "format": "OpenAI",
        "name": name,
        "version": version,
        "isDefaultVersion": bool(item.get("default", False)),
        "lifecycleStatus": lifecycle,
        "maxCapacity": 100,
        "capabilities": {"chatCompletion": "true", "completion": "true", "inference": "true"},
        "deprecation": {"fineTune": iso(retires), "inference": iso(retires)},
        "skus": [
            {
                "name": "Standard",
                "usageName": f"OpenAI.Standard.{name}",
                "capacity": {"minimum": 1, "maximum": 100, "step": 1, "default": 10},
            }
        ],
        "systemData": {
            "createdBy": "Microsoft",
            "createdByType": "Application",
            "createdAt": iso(scope.time(item.get("released") or "-400d")),
            "lastModifiedBy": "Microsoft",
            "lastModifiedByType": "Application",
            "lastModifiedAt": iso(scope.time(item.get("released") or "-400d")),
        },
    }


def container_app_job(core: Core, scope: Scope, spec: dict[str, Any]) -> None:
    """``{name, environment?, containers: [{name, image, command?}], execution_seconds?}``: a manually triggered
    Container Apps job, shaped like the official ``Job_Get`` example."""
    name = str(spec["name"])
    env = str(spec.get("environment") or f"{scope.resource_group}-env")
    env_id = f"{scope.rg_id()}/providers/Microsoft.App/managedEnvironments/{env}"
    containers = [
        {
            "name": str(c["name"]),
            "image": str(c["image"]),
            **({"command": [str(x) for x in c["command"]]} if c.get("command") else {}),
            "resources": {"cpu": 0.5, "memory": "1Gi"},
        }
        for c in spec.get("containers") or []
    ]
    job_id = f"{scope.rg_id()}/providers/Microsoft.App/jobs/{name}"
    core.put(
        {
            "id": job_id,
            "name": name,
            "type": "Microsoft.App/jobs",
            "location": scope.location,
            "properties": {
                "provisioningState": "Succeeded",
                "environmentId": env_id,
                "workloadProfileName": "Consumption",
                "configuration": {
                    "triggerType": "Manual",
                    "replicaTimeout": 1800,
                    "replicaRetryLimit": 0,
                    "manualTriggerConfig": {"replicaCompletionCount": 1, "parallelism": 1},
                },
                "template": {"containers": containers, "initContainers": []},
            },
        }
    )
    core.state.setdefault("jobDurations", {})[job_id.lower()] = float(spec.get("execution_seconds") or 0)


def postgres_server(core: Core, scope: Scope, spec: dict[str, Any]) -> None:
    """``{name, version?, sku?, tier?, retention_days?, earliest_restore?, backups: {daily, newest} | [...]}``."""
    name = str(spec["name"])
    server_id = f"{scope.rg_id()}/providers/Microsoft.DBforPostgreSQL/flexibleServers/{name}"
    retention = int(spec.get("retention_days") or 7)
    created = scope.time(spec.get("created"), "-90d")
    core.put(
        {
            "sku": {
                "name": str(spec.get("sku") or "Standard_D2ds_v5"),
                "tier": str(spec.get("tier") or "GeneralPurpose"),
            },
            "systemData": {"createdAt": iso(created)},
            "properties": {
                "replica": {"role": "Primary", "capacity": 5},
                "storage": {"type": "", "iops": 500, "tier": "P10", "storageSizeGB": 128, "autoGrow": "Disabled"},
                "network": {"publicNetworkAccess": "Enabled"},
                "privateEndpointConnections": [],
                "dataEncryption": {"type": "SystemManaged"},
                "authConfig": {"activeDirectoryAuth": "Enabled", "passwordAuth": "Disabled"},
                "fullyQualifiedDomainName": f"{name}.postgres.database.azure.com",
                "version": str(spec.get("version") or "16"),
                "minorVersion": "4",
                "administratorLogin": "pgadmin",
                "state": "Ready",
                "availabilityZone": "1",
                "backup": {
                    "backupRetentionDays": retention,
                    "geoRedundantBackup": "Disabled",
                    "earliestRestoreDate": iso(scope.time(spec.get("earliest_restore"), f"-{retention}d")),
                },
                "highAvailability": {"mode": "Disabled", "state": "NotEnabled"},
                "maintenanceWindow": {"customWindow": "Disabled", "dayOfWeek": 0, "startHour": 0, "startMinute": 0},
                "replicationRole": "Primary",
                "replicaCapacity": 5,
            },
            "location": scope.location,
            "id": server_id,
            "name": name,
            "type": "Microsoft.DBforPostgreSQL/flexibleServers",
        }
    )
    for backup in _backups(scope, spec.get("backups")):
        core.put(_backup_json(server_id, backup))


def _backups(scope: Scope, spec: Any) -> list[dict[str, Any]]:
    if isinstance(spec, list):
        return [{**b, "completed": scope.time(b.get("completed"))} for b in spec]
    spec = spec or {}
    newest = scope.time(spec.get("newest"), "-3h")
    every = timedelta(hours=float(spec.get("every_hours") or 24))
    return [{"completed": newest - every * i} for i in range(int(spec.get("daily", spec.get("count", 7))))][::-1]


def _backup_json(server_id: str, backup: dict[str, Any]) -> JSON:
    completed: datetime = backup["completed"]
    ticks = int((completed - _TICKS_EPOCH).total_seconds() * 10_000_000)
    name = str(backup.get("name") or f"backup_{ticks}")
    return {
        "properties": {
            "backupType": str(backup.get("type") or "Full"),
            "source": str(backup.get("source") or "Automatic"),
            "completedTime": iso(completed),
        },
        "id": f"{server_id}/backups/{name}",
        "name": name,
        "type": "Microsoft.DBforPostgreSQL/flexibleServers/backups",
    }


def search_service(core: Core, spec: dict[str, Any]) -> None:
    """``{indexes: {name: document_count}, aliases: {alias: index}}``."""
    search = core.state["search"]
    for name, count in (spec.get("indexes") or {}).items():
        search["indexes"][str(name)] = index_json(str(name))
        search["documentCounts"][str(name)] = int(count)
    for alias, index in (spec.get("aliases") or {}).items():
        if str(index) not in search["indexes"]:
            raise ValueError(f"estate: search alias {alias} points to unknown index {index}")
        search["aliases"][str(alias)] = {"@odata.etag": new_etag(), "name": str(alias), "indexes": [str(index)]}
