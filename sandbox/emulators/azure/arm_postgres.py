"""Microsoft.DBforPostgreSQL flexible servers: GET, list, backups, and PUT of a new server (PITR) as a 202 LRO.

A point-in-time restore takes ``restoreSeconds`` of the emulator's clock (``AzureEmulator.set_restore_seconds``;
0: one poll): until then the new server is ``Provisioning`` and its operation ``InProgress``.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sandbox.emulators.azure.arm import NAME, RG_PREFIX, Route, json_body, paged, route
from sandbox.emulators.azure.lro import LroSpec
from sandbox.emulators.azure.wire import JSON, ApiError, Request, Response, bad_request, iso, parse_time, utc_now

if TYPE_CHECKING:
    from sandbox.emulators.azure.core import Core

SERVERS = rf"{RG_PREFIX}/Microsoft\.DBforPostgreSQL/flexibleServers"
SERVER = rf"{RG_PREFIX}/Microsoft\.DBforPostgreSQL/flexibleServers/(?P<server>{NAME})"
SERVER_TYPE = "Microsoft.DBforPostgreSQL/flexibleServers"
_SOURCE_ONLY = ("createMode", "sourceServerResourceId", "pointInTimeUTC")


def _server_id(m: re.Match[str]) -> str:
    return (
        f"/subscriptions/{m['sub']}/resourceGroups/{m['rg']}/providers/Microsoft.DBforPostgreSQL"
        f"/flexibleServers/{m['server']}"
    )


def get_server(core: Core, req: Request, m: re.Match[str]) -> Response:
    server_id = _server_id(m)
    core.lro.touch(server_id)
    return Response(200, core.get(server_id))


def list_servers(core: Core, req: Request, m: re.Match[str]) -> Response:
    """The resource group's servers (``servers.list_by_resource_group``), each polled like a GET."""
    prefix = f"/subscriptions/{m['sub']}/resourceGroups/{m['rg']}/providers/Microsoft.DBforPostgreSQL/flexibleServers/"
    found = [r for key, r in core.resources.items() if key.startswith(prefix.lower()) and "/" not in key[len(prefix) :]]
    for server in found:
        core.lro.touch(str(server["id"]))
    return paged(req, sorted(found, key=lambda s: str(s["name"])), page_size=50)


def list_backups(core: Core, req: Request, m: re.Match[str]) -> Response:
    server_id = _server_id(m)
    core.get(server_id)
    backups = sorted(core.children(server_id, "backups"), key=lambda b: str(b["properties"]["completedTime"]))
    return paged(req, backups, page_size=50)


def get_backup(core: Core, req: Request, m: re.Match[str]) -> Response:
    return Response(200, core.get(f"{_server_id(m)}/backups/{m['backup']}"))


def put_server(core: Core, req: Request, m: re.Match[str]) -> Response:
    """Create a new server (``PointInTimeRestore`` or ``Create``/``Default``): 202 only, then Ready."""
    server_id = _server_id(m)
    if core.find(server_id) is not None:
        raise ApiError(
            409,
            "ServerNameAlreadyExists",
            f"Specified server name '{m['server']}' is already used. PointInTimeRestore creates a "
            "new server: choose a name that is not in use.",
        )
    body = json_body(req)
    properties: JSON = body["properties"] if isinstance(body.get("properties"), dict) else {}
    mode = str(properties.get("createMode") or "Create")
    if mode.lower() == "pointintimerestore":
        server = _restored_server(core, server_id, m["server"], body, properties)
    elif mode.lower() in ("create", "default"):
        server = _new_server(server_id, m["server"], body, properties)
    else:
        raise bad_request(
            "UnsupportedCreateMode", f"The emulator supports createMode PointInTimeRestore and Create, not '{mode}'."
        )
    server["properties"]["state"] = "Provisioning"
    core.put(server)
    ready_at = core.now() + timedelta(seconds=float(core.state.get("restoreSeconds") or 0))

    def succeed() -> None:
        server["properties"]["state"] = "Ready"
        server["properties"]["backup"]["earliestRestoreDate"] = iso(utc_now())

    def fail() -> None:
        core.delete(server_id)

    spec = LroSpec(
        m["sub"], "Microsoft.DBforPostgreSQL", str(server["location"]), "azureAsyncOperation", "operationResults"
    )
    fault = core.faults.take_lro(req.method, req.path)
    _, headers = core.lro.start(
        req,
        spec,
        resource_id=server_id,
        fault=fault,
        on_success=succeed,
        on_failure=fail,
        ready=lambda: core.now() >= ready_at,
    )
    return Response(202, None, headers)


def _restored_server(core: Core, server_id: str, name: str, body: JSON, properties: JSON) -> JSON:
    source_id = str(properties.get("sourceServerResourceId") or "")
    source = core.find(source_id) if source_id else None
    if source is None or source.get("type") != SERVER_TYPE:
        raise bad_request(
            "InvalidSourceServer", f"The source server '{source_id}' of the point-in-time restore does not exist."
        )
    point = _point_in_time(properties.get("pointInTimeUTC"))
    earliest = parse_time(str(source["properties"]["backup"]["earliestRestoreDate"]))
    now = utc_now()
    if not earliest <= point <= now:
        raise bad_request(
            "InvalidPointInTime",
            f"The point in time {iso(point)} is outside the restorable window of server "
            f"'{source['name']}': [{iso(earliest)}, {iso(now)}].",
        )
    server = copy.deepcopy(source)
    server.update({"id": server_id, "name": name, "location": body.get("location") or source.get("location")})
    server["systemData"] = {"createdAt": iso(now)}
    server["properties"].update(_fresh_properties(name))
    server["properties"]["replica"] = {"role": "Primary", "capacity": 5}
    return server


def _new_server(server_id: str, name: str, body: JSON, properties: JSON) -> JSON:
    location = str(body.get("location") or "")
    if not location:
        raise bad_request("LocationRequired", "The location property is required for this definition.")
    fresh = {k: v for k, v in properties.items() if k not in _SOURCE_ONLY and k != "administratorLoginPassword"}
    server: JSON = {
        "sku": body.get("sku") or {"name": "Standard_D2ds_v5", "tier": "GeneralPurpose"},
        "systemData": {"createdAt": iso(utc_now())},
        "properties": {
            "version": "16",
            "storage": {"storageSizeGB": 128, "autoGrow": "Disabled"},
            "backup": {"backupRetentionDays": 7, "geoRedundantBackup": "Disabled"},
            "highAvailability": {"mode": "Disabled", "state": "NotEnabled"},
            "replicationRole": "Primary",
            **fresh,
            **_fresh_properties(name),
        },
        "location": location,
        "id": server_id,
        "name": name,
        "type": SERVER_TYPE,
    }
    server["properties"]["backup"].setdefault("backupRetentionDays", 7)
    return server


def _fresh_properties(name: str) -> JSON:
    return {"fullyQualifiedDomainName": f"{name}.postgres.database.azure.com", "state": "Provisioning"}


def _point_in_time(value: object) -> datetime:
    if not isinstance(value, str) or not value:
        raise bad_request("InvalidPointInTime", "pointInTimeUTC is required for createMode PointInTimeRestore.")
    try:
        return parse_time(value)
    except ValueError as exc:
        raise bad_request("InvalidPointInTime", f"pointInTimeUTC '{value}' is not an ISO-8601 timestamp.") from exc


ROUTES: list[Route] = [
    route("GET", SERVERS, list_servers),
    route("GET", SERVER, get_server),
    route("PUT", SERVER, put_server),
    route("GET", rf"{SERVER}/backups", list_backups),
    route("GET", rf"{SERVER}/backups/(?P<backup>{NAME})", get_backup),
]
