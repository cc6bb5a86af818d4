"""Container Apps domain rules: revision JSON, derived states, traffic weights, latest revision."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sandbox.emulators.azure.wire import JSON, bad_request, iso

if TYPE_CHECKING:
    from sandbox.emulators.azure.core import Core

APP_TYPE = "Microsoft.App/containerApps"
REVISION_TYPE = "Microsoft.App/containerApps/revisions"
WEIGHT_CODE = "ContainerAppInvalidTrafficWeight"


def props(resource: JSON) -> JSON:
    properties: JSON = resource.setdefault("properties", {})
    return properties


def env_domain(env_name: str, location: str) -> str:
    """The environment's default domain, e.g. ``pharmabot-env-1a2b3c4d.eastus.azurecontainerapps.io``."""
    digest = hashlib.sha256(env_name.encode()).hexdigest()[:8]
    return f"{env_name}-{digest}.{location.replace(' ', '').lower()}.azurecontainerapps.io"


def app_domain(app: JSON) -> str:
    fqdn = str(props(app).get("configuration", {}).get("ingress", {}).get("fqdn", ""))
    return fqdn.split(".", 1)[1] if "." in fqdn else "azurecontainerapps.io"


def container_template(app_name: str, image: str, suffix: str | None = None) -> JSON:
    template: JSON = {
        "containers": [{"image": image, "name": app_name, "resources": {"cpu": 0.5, "memory": "1Gi"}}],
        "scale": {"minReplicas": 1, "maxReplicas": 3},
    }
    if suffix:
        template["revisionSuffix"] = suffix
    return template


def build_revision(app: JSON, name: str, template: JSON, created: datetime, **options: Any) -> JSON:
    """Revision JSON shaped like the official ``Revisions_Get`` example, states derived from options.

    Options: ``healthy`` (bool, default True), ``active`` (default True), ``replicas``, and overrides
    ``health_state``, ``running_state``, ``provisioning_state``.
    """
    revision: JSON = {
        "id": f"{app['id']}/revisions/{name}",
        "name": name,
        "type": REVISION_TYPE,
        "properties": {
            "createdTime": iso(created),
            "lastActiveTime": iso(created),
            "fqdn": f"{name}.{app_domain(app)}",
            "template": template,
            "active": bool(options.get("active", True)),
            "replicas": 0,
            "trafficWeight": 0,
            "healthState": "Healthy" if options.get("healthy", True) else "Unhealthy",
            "provisioningState": options.get("provisioning_state") or "Provisioned",
            "runningState": "Running",
        },
    }
    update_revision(revision, **options)
    return revision


def update_revision(revision: JSON, **options: Any) -> None:
    """Apply ``healthy``/``active``/``image``/``replicas``/state overrides, then re-derive states."""
    p = props(revision)
    if options.get("image"):
        p["template"]["containers"][0]["image"] = options["image"]
    if "healthy" in options and options["healthy"] is not None:
        p["healthState"] = "Healthy" if options["healthy"] else "Unhealthy"
    if "active" in options and options["active"] is not None:
        p["active"] = bool(options["active"])
    derive_states(revision, replicas=options.get("replicas"))
    for key, field in (
        ("health_state", "healthState"),
        ("running_state", "runningState"),
        ("provisioning_state", "provisioningState"),
    ):
        if options.get(key):
            p[field] = options[key]


def derive_states(revision: JSON, replicas: int | None = None) -> None:
    """Replicas and runningState follow ``active`` and ``healthState``."""
    p = props(revision)
    if not p.get("active"):
        p["replicas"], p["runningState"] = 0, "Stopped"
        return
    p["replicas"] = replicas if replicas is not None else max(1, int(p.get("replicas") or 0))
    p["runningState"] = "Running" if p.get("healthState") != "Unhealthy" else "Degraded"


BAD_IMAGE_MARK = "bad"  # an image whose name contains it starts, then fails its health checks (demo, tests)


def start_provisioning(core: Core, revision: JSON) -> None:
    """A revision a template change created: Provisioning/Activating for ``core.provision_reads`` reads."""
    p = props(revision)
    p["provisioningState"], p["runningState"], p["replicas"] = "Provisioning", "Activating", 0
    core.provisioning[str(revision["id"]).lower()] = core.provision_reads


def observe_provisioning(core: Core, revision: JSON) -> None:
    """One read of ``revision``: a provisioning one moves on, and once done is Provisioned and running
    (Degraded and unhealthy when its image is a bad one)."""
    key = str(revision["id"]).lower()
    left = core.provisioning.get(key)
    if left is None:
        return
    if left > 1:
        core.provisioning[key] = left - 1
        return
    del core.provisioning[key]
    p = props(revision)
    image = str(p["template"]["containers"][0].get("image") or "")
    p["provisioningState"] = "Provisioned"
    p["healthState"] = "Unhealthy" if BAD_IMAGE_MARK in image.lower() else "Healthy"
    derive_states(revision)


def is_healthy(revision: JSON) -> bool:
    p = props(revision)
    return bool(p.get("active")) and p.get("healthState") == "Healthy" and p.get("runningState") == "Running"


def revisions_of(core: Core, app: JSON) -> list[JSON]:
    revisions = core.children(str(app["id"]), "revisions")
    return sorted(revisions, key=lambda r: str(props(r).get("createdTime", "")))


def mode(app: JSON) -> str:
    return str(props(app).get("configuration", {}).get("activeRevisionsMode") or "Single")


def ingress(app: JSON) -> JSON | None:
    found = props(app).get("configuration", {}).get("ingress")
    return found if isinstance(found, dict) else None


def weights(app: JSON) -> dict[str, int]:
    """Revision name -> weight from ``ingress.traffic`` (``latestRevision`` entries resolved)."""
    latest = str(props(app).get("latestRevisionName") or "")
    ing = ingress(app)
    if ing is None:
        return {}
    entries = ing.get("traffic") or []
    if mode(app) == "Single" or not entries:
        return {latest: 100} if latest else {}
    result: dict[str, int] = defaultdict(int)
    for entry in entries:
        name = latest if entry.get("latestRevision") else str(entry.get("revisionName") or "")
        result[name] += int(entry.get("weight") or 0)
    return dict(result)


def validate_traffic(app: JSON, revisions: list[JSON]) -> None:
    """400 unless the traffic split is valid for this app's mode and revisions."""
    ing = ingress(app)
    entries = ing.get("traffic") if ing else None
    if not entries:
        return
    by_name = {str(r["name"]): r for r in revisions}
    latest = str(props(app).get("latestRevisionName") or "")
    for entry in entries:
        _validate_entry(entry, by_name, latest, mode(app))
    labels = [str(e["label"]) for e in entries if e.get("label")]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise bad_request(WEIGHT_CODE, f"Traffic label '{repeated[0]}' is used by more than one traffic rule.")
    total = sum(int(e.get("weight") or 0) for e in entries)
    if total != 100:
        raise bad_request(WEIGHT_CODE, f"The sum of all traffic weights must be 100; the request sums to {total}.")


def _validate_entry(entry: JSON, by_name: dict[str, JSON], latest: str, app_mode: str) -> None:
    weight = entry.get("weight")
    if not isinstance(weight, int) or not 0 <= weight <= 100:
        raise bad_request(WEIGHT_CODE, f"Traffic weight {weight!r} is invalid; weights are integers from 0 to 100.")
    if entry.get("latestRevision") and entry.get("revisionName"):
        raise bad_request(WEIGHT_CODE, "A traffic rule cannot set both revisionName and latestRevision: true.")
    name = latest if entry.get("latestRevision") else str(entry.get("revisionName") or "")
    if not name:
        raise bad_request(WEIGHT_CODE, "Each traffic entry needs a revisionName or latestRevision: true.")
    if name not in by_name:
        raise bad_request("ContainerAppRevisionNotFound", f"Revision '{name}' does not exist in this container app.")
    if weight > 0 and not props(by_name[name]).get("active"):
        raise bad_request(
            "ContainerAppRevisionNotActive",
            f"Revision '{name}' is not active; activate it before sending traffic to it.",
        )
    if app_mode == "Single" and weight > 0 and name != latest:
        raise bad_request(
            WEIGHT_CODE,
            "Revision weights can not be used in Single revision mode: all traffic goes "
            f"to the latest revision '{latest}'. Switch activeRevisionsMode to Multiple first.",
        )


def sync(core: Core, app: JSON) -> None:
    """Recompute latest-revision fields and every revision's ``trafficWeight`` from the app."""
    revisions = revisions_of(core, app)
    p = props(app)
    if revisions:
        latest = revisions[-1]
        ready = [r for r in revisions if props(r).get("provisioningState") == "Provisioned"]
        p["latestRevisionName"] = latest["name"]
        p["latestRevisionFqdn"] = props(latest).get("fqdn")
        p["latestReadyRevisionName"] = (ready or revisions)[-1]["name"]
        p["template"] = _copy_json(props(latest)["template"])
    split = weights(app)
    for revision in revisions:
        props(revision)["trafficWeight"] = split.get(str(revision["name"]), 0)


def rebalance(app: JSON, revisions: list[JSON], name: str, weight: int) -> None:
    """Give revision ``name`` ``weight`` percent; scale the other rules so the total stays 100.

    Rules keep their form (``latestRevision`` stays) and their labels; a rule that already serves
    ``name`` takes the weight, else a ``revisionName`` rule for it is appended. When no other rule
    serves anything, the newest other revision takes the rest.
    """
    ing = props(app).setdefault("configuration", {}).setdefault("ingress", {})
    rules: list[JSON] = [dict(r) for r in ing.get("traffic") or []]
    latest = str(props(app).get("latestRevisionName") or "")

    def serves(rule: JSON) -> str:
        return latest if rule.get("latestRevision") else str(rule.get("revisionName") or "")

    own = [i for i, r in enumerate(rules) if serves(r) == name]
    others = {i: int(r.get("weight") or 0) for i, r in enumerate(rules) if serves(r) != name}
    rest = 100 - weight
    if rest > 0 and not any(others.values()):
        # Nothing else serves: the newest other revision takes the rest (as a person would choose).
        spare = [str(r["name"]) for r in revisions if r["name"] != name]
        if not spare:
            weight, rest = 100, 0
        elif not others:
            rules.append({"revisionName": spare[-1], "weight": 0})
            others[len(rules) - 1] = 1
        else:
            others[max(others)] = 1
    scaled = _largest_remainder({i: w for i, w in others.items() if w > 0}, rest)
    for i in others:
        rules[i]["weight"] = scaled.get(i, 0)
    for n, i in enumerate(own):
        rules[i]["weight"] = weight if n == 0 else 0
    if not own:
        rules.append({"revisionName": name, "weight": weight})
    ing["traffic"] = rules


def _largest_remainder(shares: dict[int, int], total: int) -> dict[int, int]:
    base = sum(shares.values())
    if not base:
        return {}
    exact = {k: v * total / base for k, v in shares.items()}
    result = {k: int(v) for k, v in exact.items()}
    leftovers = sorted(exact, key=lambda k: exact[k] - result[k], reverse=True)
    for key in leftovers[: total - sum(result.values())]:
        result[key] += 1
    return result


def _copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_json(v) for v in value]
    return value
