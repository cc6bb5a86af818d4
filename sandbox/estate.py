"""The emulated estate as the page's side panel shows it, and the 'break something' drills.

Read from the Azure emulator's live state and the prompt registries, so the panel moves the moment a
rollback (or a drill) changes anything.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from bot.adapters.prompts import SqlPromptStore
from sandbox import demo
from sandbox.emulators.azure import AzureEmulator

JsonDict = dict[str, Any]
REVISION_TYPE = "microsoft.app/containerapps/revisions"
DEPLOYMENT_TYPE = "microsoft.cognitiveservices/accounts/deployments"
BACKUP_TYPE = "microsoft.dbforpostgresql/flexibleservers/backups"
SERVER_TYPE = "microsoft.dbforpostgresql/flexibleservers"
BAD_PROMPT = "You answer questions about medicines. Keep it short; skip the leaflet and the disclaimers."


def estate_summary(
    azure: AzureEmulator, prompts: Mapping[str, SqlPromptStore], heads: Mapping[str, str | None] | None = None
) -> JsonDict:
    """Per environment: revisions and traffic, the prompt's versions, the model, backups, the migration head, the
    restored servers and the alias."""
    with azure.lock:
        state = copy.deepcopy(azure.state)
    resources = list(state["resources"].values())
    return {
        "service": demo.SERVICE,
        "environments": {
            env: {
                "container_app": _container_app(resources, demo.container_app(env)),
                "prompt": _prompt(prompts[env]),
                "model": _model(resources, state["deploymentHistory"]),
                "postgres": {
                    **_postgres(resources, demo.postgres_server(env)),
                    "head": (heads or {}).get(env),
                    "restored": _restored(resources, demo.postgres_server(env)),
                    "database_host": _database_host(resources, demo.container_app(env)),
                },
                "search": _search(state["search"]),
            }
            for env in demo.ENVIRONMENTS
        },
    }


def _of_type(resources: list[JsonDict], kind: str, parent: str) -> list[JsonDict]:
    marker = f"/{parent.lower()}/"
    return [r for r in resources if str(r.get("type", "")).lower() == kind and marker in str(r["id"]).lower()]


def _container_app(resources: list[JsonDict], app: str) -> JsonDict:
    revisions = sorted(
        _of_type(resources, REVISION_TYPE, app), key=lambda r: str(r["properties"].get("createdTime", ""))
    )
    return {
        "name": app,
        "revisions": [
            {
                "name": r["name"],
                "short": str(r["name"]).split("--", 1)[-1],
                "image": str(r["properties"]["template"]["containers"][0]["image"]).rsplit(":", 1)[-1],
                "traffic": int(r["properties"].get("trafficWeight") or 0),
                "health": r["properties"].get("healthState") or "None",
                "active": bool(r["properties"].get("active")),
                "created": r["properties"].get("createdTime"),
            }
            for r in revisions
        ],
    }


def _prompt(store: SqlPromptStore) -> JsonDict:
    versions = store.versions(demo.PROMPT)
    active = next((v.version for v in versions if v.is_active), None)
    return {
        "name": demo.PROMPT,
        "active": active,
        "versions": [
            {"version": v.version, "active": v.is_active, "created": v.created_at.isoformat(), "content": v.content}
            for v in versions
        ],
    }


def _model(resources: list[JsonDict], history: Mapping[str, list[JsonDict]]) -> JsonDict:
    found = _of_type(resources, DEPLOYMENT_TYPE, demo.OPENAI_ACCOUNT)
    deployment = next((d for d in found if d["name"] == demo.DEPLOYMENT), None)
    if deployment is None:
        return {"deployment": demo.DEPLOYMENT, "model": None, "version": None, "history": []}
    model = deployment["properties"]["model"]
    past = history.get(str(deployment["id"]).lower(), [])
    return {
        "deployment": deployment["name"],
        "model": model.get("name"),
        "version": model.get("version"),
        "history": [{"version": h["model"].get("version"), "since": h.get("since")} for h in past],
    }


def _postgres(resources: list[JsonDict], server: str) -> JsonDict:
    backups = sorted(
        (str(b["properties"].get("completedTime", "")) for b in _of_type(resources, BACKUP_TYPE, server)),
        reverse=True,
    )
    return {"server": server, "backups": len(backups), "latest": backups[0] if backups else None}


def _restored(resources: list[JsonDict], server: str) -> list[JsonDict]:
    """The servers restored from ``server`` (``<server>-restored-…``) and their state."""
    prefix = f"{server}-restored-"
    return sorted(
        (
            {"name": r["name"], "state": r["properties"].get("state")}
            for r in resources
            if str(r.get("type", "")).lower() == SERVER_TYPE and str(r.get("name", "")).startswith(prefix)
        ),
        key=lambda s: str(s["name"]),
    )


def _database_host(resources: list[JsonDict], app: str) -> str | None:
    """DATABASE_HOST on the revisions that serve the app (None: not set)."""
    serving = [r for r in _of_type(resources, REVISION_TYPE, app) if r["properties"].get("trafficWeight")]
    for revision in serving:
        for container in revision["properties"]["template"].get("containers", []):
            for env in container.get("env") or []:
                if env.get("name") == "DATABASE_HOST":
                    return str(env.get("value"))
    return None


def _search(search: JsonDict) -> JsonDict:
    alias = search.get("aliases", {}).get(demo.SEARCH_ALIAS) or {}
    indexes = list(alias.get("indexes", []))
    counts = search.get("documentCounts", {})
    return {"alias": demo.SEARCH_ALIAS, "indexes": indexes, "documents": sum(int(counts.get(i, 0)) for i in indexes)}


# --- break something ---------------------------------------------------------------------------


def break_revision(azure: AzureEmulator, environment: str) -> str:
    """Deploy a new, failing revision that takes 100 % of the traffic; returns its name."""
    app = demo.container_app(environment)
    with azure.lock:
        latest = _container_app(list(copy.deepcopy(azure.state["resources"]).values()), app)["revisions"]
    numbers = [int(m.group(1)) for r in latest if (m := re.fullmatch(r"v(\d+)", r["short"]))]
    name = f"v{max(numbers, default=0) + 1}"
    image = f"pharmabotacr.azurecr.io/pharmabot:{_next_tag(latest[-1]['image'] if latest else '1.0.0')}"
    revision = azure.set_revision(
        demo.SUBSCRIPTION, demo.RESOURCE_GROUP, app, name, image=image, healthy=False, active=True, traffic_weight=100
    )
    return str(revision["name"])


def next_deploy(azure: AzureEmulator, environment: str, *, good: bool) -> tuple[str, str]:
    """The suffix and image of the next demo deploy: ``vN`` and the next tag (``…-bad`` for a bad one, whose
    revision starts, then fails its health checks)."""
    app = demo.container_app(environment)
    with azure.lock:
        revisions = _container_app(list(copy.deepcopy(azure.state["resources"]).values()), app)["revisions"]
    numbers = [int(m.group(1)) for r in revisions if (m := re.fullmatch(r"v(\d+)", r["short"]))]
    tag = _next_tag(revisions[-1]["image"].removesuffix("-bad") if revisions else "1.0.0")
    return f"v{max(numbers, default=0) + 1}", f"pharmabotacr.azurecr.io/pharmabot:{tag}{'' if good else '-bad'}"


def break_way_back(azure: AzureEmulator, environment: str) -> str | None:
    """Make the revision a code rollback would go to (the newest healthy one older than the serving one) fail its
    health check, as in the issue a drill is for: the rollback lands, its verification fails. Returns its name
    (None when there is none left to break)."""
    app = demo.container_app(environment)
    with azure.lock:
        revisions = _container_app(list(copy.deepcopy(azure.state["resources"]).values()), app)["revisions"]
    serving = max(revisions, key=lambda r: (r["traffic"], str(r["created"])), default=None)
    if serving is None:
        return None
    way_back = [r for r in revisions if str(r["created"]) < str(serving["created"]) and r["health"] == "Healthy"]
    if not way_back:
        return None
    target = way_back[-1]
    azure.set_revision(demo.SUBSCRIPTION, demo.RESOURCE_GROUP, app, target["short"], healthy=False)
    return str(target["name"])


def _next_tag(tag: str) -> str:
    parts = tag.split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{parts[0]}.{int(parts[1]) + 1}.0"
    return f"{tag}-next"


BAD_PROMPT_ERROR_RATE = 0.5  # what the application's telemetry then shows for calls with the bad version


def break_prompt(azure: AzureEmulator, store: SqlPromptStore, environment: str) -> int:
    """Add a bad version of the prompt and activate it, as a careless deploy would (the application's calls with it
    fail half the time, as its telemetry shows); returns its number."""
    created = store.add(demo.PROMPT, BAD_PROMPT, actor=demo.DEPLOYER)
    azure.set_prompt_quality(demo.WORKSPACES[environment], demo.PROMPT, created.version, BAD_PROMPT_ERROR_RATE)
    store.activate(demo.PROMPT, created.version, actor=demo.DEPLOYER, reason="deploy (drill: bad prompt)")
    return created.version


UPGRADE_TO = "2024-11-20"  # the demo catalog's newest gpt-4o, not yet the default


def break_release(azure: AzureEmulator, store: SqlPromptStore, environment: str) -> JsonDict:
    """A bad release all at once, as a careless deploy would ship it: a new failing revision at 100 %, a new prompt
    version, and the model deployment upgraded. Returns what it changed."""
    revision = break_revision(azure, environment)
    version = break_prompt(azure, store, environment)
    azure.upgrade_deployment(
        demo.SUBSCRIPTION, demo.RESOURCE_GROUP, demo.OPENAI_ACCOUNT, demo.DEPLOYMENT, UPGRADE_TO, by=demo.DEPLOYER
    )
    return {"revision": revision, "version": version, "model": UPGRADE_TO}
