"""Live state of every Azure component a service environment configures (``rollback-bot inspect``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from bot.domain.azure import ContainerAppRef, ModelDeployment, OpenAIAccountRef, PostgresServerRef, SearchAliasRef
from bot.errors import RollbackBotError
from bot.ports.azure import (
    ContainerAppsApi,
    EnvironmentPorts,
    ModelDeploymentsApi,
    PostgresApi,
    SearchApi,
)

JSON = dict[str, Any]
_SECTIONS = (
    ("container_app", "Container app"),
    ("openai", "Azure OpenAI"),
    ("postgres", "PostgreSQL"),
    ("search", "AI Search"),
)


def inspect_environment(*, ports: EnvironmentPorts) -> JSON:
    """Read each configured component; a failing one shows ``{"error": …}`` and the others still show."""
    readers: dict[str, Callable[[], JSON]] = {}
    if ports.container_apps and ports.container_app_ref:
        readers["container_app"] = partial(_container_app, ports.container_apps, ports.container_app_ref)
    if ports.openai and ports.openai_ref:
        readers["openai"] = partial(_openai, ports.openai, ports.openai_ref, ports.openai_deployments)
    if ports.postgres and ports.postgres_ref:
        readers["postgres"] = partial(_postgres, ports.postgres, ports.postgres_ref)
    if ports.search and ports.search_ref:
        readers["search"] = partial(_search, ports.search, ports.search_ref)
    return {name: _read(reader) for name, reader in readers.items()}


def _read(reader: Callable[[], JSON]) -> JSON:
    """Run one component's reader, turning a bot error into ``{"error": message}``."""
    try:
        return reader()
    except RollbackBotError as exc:
        return {"error": exc.user_message}


def _iso(value: datetime | None) -> str | None:
    """ISO-8601 text, or ``None``."""
    return value.isoformat() if value else None


def _container_app(api: ContainerAppsApi, ref: ContainerAppRef) -> JSON:
    """The app, its revisions mode and every revision."""
    app = api.get_app(ref)
    revisions = [
        {
            "name": r.name,
            "active": r.active,
            "traffic_weight": r.traffic_weight,
            "created_time": _iso(r.created_time),
            "image": r.image,
            "health_state": r.health_state,
            "running_state": r.running_state,
        }
        for r in app.revisions
    ]
    return {
        "name": app.name,
        "active_revisions_mode": app.active_revisions_mode,
        "fqdn": app.fqdn,
        "revisions": revisions,
    }


def _openai(api: ModelDeploymentsApi, ref: OpenAIAccountRef, configured: tuple[str, ...]) -> JSON:
    """The configured deployments (all of them when none are named)."""
    listed = {d.name: d for d in api.list_deployments(ref)}
    names = list(configured) or list(listed)
    found: list[ModelDeployment] = [listed[n] if n in listed else api.get_deployment(ref, n) for n in names]
    return {
        "deployments": [
            {
                "name": d.name,
                "model": d.model,
                "version": d.version,
                "version_upgrade_option": d.version_upgrade_option,
                "provisioning_state": d.provisioning_state,
            }
            for d in found
        ]
    }


def _postgres(api: PostgresApi, ref: PostgresServerRef) -> JSON:
    """The server, its earliest restore point and its backups."""
    server = api.get_server(ref)
    backups = api.list_backups(ref)
    return {
        "server": server.name,
        "state": server.state,
        "earliest_restore_date": _iso(server.earliest_restore_date),
        "backups": [{"name": b.name, "completed_time": _iso(b.completed_time), "type": b.type} for b in backups],
    }


def _search(api: SearchApi, ref: SearchAliasRef) -> JSON:
    """The alias and the index it points at."""
    alias = api.get_alias(ref)
    return {"alias": alias.alias, "index": alias.index}


# --- plain-text rendering ----------------------------------------------------------------------


def render_inspect_table(result: JSON) -> str:
    """A readable plain-text view of ``inspect_environment``'s result."""
    blocks = [_render_section(title, result[key]) for key, title in _SECTIONS if key in result]
    return "\n\n".join(blocks) if blocks else "No Azure components are configured for this environment."


def _render_section(title: str, data: JSON) -> str:
    """One component: its heading, then its table or its error."""
    if "error" in data:
        return f"{title}\n  ERROR: {data['error']}"
    renderers: dict[str, Callable[[JSON], list[str]]] = {
        "Container app": _render_app,
        "Azure OpenAI": _render_openai,
        "PostgreSQL": _render_postgres,
        "AI Search": _render_search,
    }
    return "\n".join([title, *("  " + line for line in renderers[title](data))])


def _render_app(data: JSON) -> list[str]:
    """Revisions table of a container app."""
    head = f"{data['name']}  mode={_cell(data['active_revisions_mode'])}  fqdn={_cell(data['fqdn'])}"
    rows = [
        [
            r["name"],
            "yes" if r["active"] else "no",
            f"{r['traffic_weight']}%",
            r["health_state"],
            r["running_state"],
            r["created_time"],
            r["image"],
        ]
        for r in data["revisions"]
    ]
    headers = ["REVISION", "ACTIVE", "TRAFFIC", "HEALTH", "RUNNING", "CREATED", "IMAGE"]
    return [head, *_table(headers, rows)]


def _render_openai(data: JSON) -> list[str]:
    """Deployments table."""
    rows = [
        [d["name"], d["model"], d["version"], d["version_upgrade_option"], d["provisioning_state"]]
        for d in data["deployments"]
    ]
    return _table(["DEPLOYMENT", "MODEL", "VERSION", "UPGRADE", "STATE"], rows)


def _render_postgres(data: JSON) -> list[str]:
    """Server line and backups table."""
    head = f"{data['server']}  state={_cell(data['state'])}  earliest restore={_cell(data['earliest_restore_date'])}"
    rows = [[b["name"], b["completed_time"], b["type"]] for b in data["backups"]]
    return [head, *(_table(["BACKUP", "COMPLETED", "TYPE"], rows) if rows else ["no backups"])]


def _render_search(data: JSON) -> list[str]:
    """Alias → index."""
    return [f"alias {data['alias']} -> index {_cell(data['index'])}"]


def _cell(value: object) -> str:
    """A table cell: ``-`` for missing values."""
    return "-" if value is None or value == "" else str(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """Left-aligned columns separated by two spaces."""
    cells = [list(headers), *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
