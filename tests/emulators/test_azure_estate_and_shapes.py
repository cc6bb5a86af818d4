"""Azure emulator: estate loading, persistence, the CLI, and response shapes vs the official REST examples."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.appcontainers.models import ContainerApp, Revision, TrafficWeight
from azure.mgmt.cognitiveservices.models import AccountModel, Deployment, Model
from azure.mgmt.postgresqlflexibleservers.models import BackupAutomaticAndOnDemand, Server
from azure.search.documents.indexes.models import GetIndexStatisticsResult, SearchAlias

from sandbox.emulators.azure import DEMO_ESTATE_PATH, AzureEmulator, load_estate, resolve_time
from sandbox.emulators.azure.lro import RESULT_PATH, STATUS_PATH

SUB = "00000000-0000-0000-0000-000000000001"
RG = "pharmabot-rg"
SPECS = Path(__file__).parents[1] / "data" / "azure-rest-api-specs" / "specification"
ACA = SPECS / "app/resource-manager/Microsoft.App/ContainerApps/stable/2025-07-01/examples"
COG = SPECS / "cognitiveservices/resource-manager/Microsoft.CognitiveServices/stable"
PG = SPECS / "postgresql/resource-manager/Microsoft.DBforPostgreSQL/stable/2025-08-01/examples"
SEARCH = SPECS / "search/data-plane/Azure.Search/preview/2025-05-01-preview/examples"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def example(path: Path, status: str = "200") -> Any:
    return json.loads(path.read_text(encoding="utf-8"))["responses"][status]["body"]


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[AzureEmulator]:
    with AzureEmulator(state_dir=tmp_path / "emu") as emulator:
        yield emulator


def get(emu: AzureEmulator, path: str, api_version: str = "2026-07-01") -> Any:
    response = requests.get(
        emu.url + path,
        params={"api-version": api_version},
        verify=emu.ca_path,
        timeout=5,
        headers={"Authorization": f"Bearer {emu.token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def rg_path(provider_path: str) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{provider_path}"


# -- shape checks: the same SDK model classes read the official examples and the emulator's JSON -------


def unknown_keys(model: Any, raw: dict[str, Any], prefix: str = "") -> list[str]:
    """Keys of ``raw`` that the (TypeSpec or msrest) model class does not declare, recursively."""
    if hasattr(type(model), "_attr_to_rest_field"):
        fields = {f._rest_name: attr for attr, f in type(model)._attr_to_rest_field.items()}
    else:
        fields = {v["key"]: attr for attr, v in type(model)._attribute_map.items()}
    missing = []
    for key, value in raw.items():
        if key not in fields:
            missing.append(prefix + key)
            continue
        child = getattr(model, fields[key])
        pairs = (
            zip(child, value, strict=False) if isinstance(child, list) and isinstance(value, list) else [(child, value)]
        )
        for sub_model, sub_raw in pairs:
            if isinstance(sub_raw, dict) and (
                hasattr(type(sub_model), "_attr_to_rest_field") or hasattr(type(sub_model), "_attribute_map")
            ):
                missing += unknown_keys(sub_model, sub_raw, f"{prefix}{key}.")
    return missing


def test_revision_shape_matches_official_example(emu: AzureEmulator) -> None:
    listed = get(emu, rg_path("Microsoft.App/containerApps/pharmabot-prod/revisions"))["value"]
    mine = get(emu, rg_path("Microsoft.App/containerApps/pharmabot-prod/revisions/pharmabot-prod--v1"))
    for raw in (example(ACA / "Revisions_Get.json"), example(ACA / "Revisions_List.json")["value"][0], mine, listed[1]):
        revision = Revision(raw)
        assert revision.created_time.tzinfo and revision.fqdn and isinstance(revision.active, bool)
        assert isinstance(revision.traffic_weight, int) and revision.template.containers[0].image
    assert unknown_keys(Revision(mine), mine) == []


def test_container_app_shape_matches_official_example(emu: AzureEmulator) -> None:
    mine = get(emu, rg_path("Microsoft.App/containerApps/pharmabot-prod"))
    for raw in (example(ACA / "ContainerApps_Get.json"), example(ACA / "ContainerApps_Patch.json"), mine):
        app = ContainerApp(raw)
        assert app.provisioning_state == "Succeeded" and app.latest_ready_revision_name
        assert all(isinstance(t.weight, int) for t in app.configuration.ingress.traffic)
    assert unknown_keys(ContainerApp(mine), mine) == []


def test_patch_monitor_headers_match_official_example(emu: AzureEmulator) -> None:
    official = json.loads((ACA / "ContainerApps_Patch.json").read_text())["responses"]["202"]["headers"]
    assert RESULT_PATH.fullmatch(official["azure-asyncoperation"].split("management.azure.com")[1].split("?")[0])
    client = ContainerAppsAPIClient(emu.credential, SUB, **emu.client_kwargs())
    patch = ContainerApp(
        {
            "properties": {
                "configuration": {
                    "ingress": {"traffic": [TrafficWeight(revision_name="pharmabot-prod--v1", weight=100)]}
                }
            }
        }
    )
    headers = (
        client.container_apps.begin_update(RG, "pharmabot-prod", patch, polling=False)
        .polling_method()
        ._initial_response.http_response.headers
    )
    status, result = (
        h.replace(emu.url, "").split("?")[0] for h in (headers["Azure-AsyncOperation"], headers["Location"])
    )
    assert re.fullmatch(
        rf"/subscriptions/{SUB}/providers/Microsoft.App/locations/eastus/"
        r"containerappOperationStatuses/[0-9a-f-]{36}",
        status,
    )
    assert RESULT_PATH.fullmatch(result) and STATUS_PATH.fullmatch(status) and headers["Retry-After"] == "0"


def test_deployment_shapes_match_official_examples(emu: AzureEmulator) -> None:
    mine = get(
        emu, rg_path("Microsoft.CognitiveServices/accounts/pharmabot-openai/deployments/gpt4o-stable"), "2025-09-01"
    )
    listed = get(emu, rg_path("Microsoft.CognitiveServices/accounts/pharmabot-openai/deployments"), "2025-09-01")
    put = COG / "2024-10-01/examples/PutDeployment.json"
    for raw in (
        example(COG / "2025-09-01/examples/GetDeployment.json"),
        example(put),
        example(put, "201"),
        example(COG / "2024-10-01/examples/ListDeployments.json")["value"][0],
        mine,
        listed["value"][0],
    ):
        deployment = Deployment.deserialize(raw)
        assert deployment.properties.model.format == "OpenAI" and deployment.sku.capacity
    assert unknown_keys(Deployment.deserialize(mine), mine) == []
    request = json.loads(put.read_text())["parameters"]["deployment"]
    assert set(request) <= {"sku", "properties"} and set(request["properties"]) == {"model"}


def test_model_catalog_shapes_match_official_examples(emu: AzureEmulator) -> None:
    account = get(emu, rg_path("Microsoft.CognitiveServices/accounts/pharmabot-openai/models"), "2025-09-01")
    located = get(
        emu, f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/locations/eastus/models", "2025-09-01"
    )
    for raw in [*example(COG / "2025-09-01/examples/ListAccountModels.json")["value"], *account["value"]]:
        model = AccountModel.deserialize(raw)
        assert model.name and model.version and model.lifecycle_status
    for raw in [*example(COG / "2025-09-01/examples/ListLocationModels.json")["value"], *located["value"]]:
        assert Model.deserialize(raw).model.version
    assert unknown_keys(AccountModel.deserialize(account["value"][0]), account["value"][0]) == []
    assert unknown_keys(Model.deserialize(located["value"][0]), located["value"][0]) == []


def test_server_and_backup_shapes_match_official_examples(emu: AzureEmulator) -> None:
    mine = get(emu, rg_path("Microsoft.DBforPostgreSQL/flexibleServers/pharmabot-db"), "2026-10-01")
    backups = get(emu, rg_path("Microsoft.DBforPostgreSQL/flexibleServers/pharmabot-db/backups"), "2026-10-01")
    for raw in (example(PG / "ServersGet.json"), mine):
        server = Server(raw)
        assert server.state == "Ready" and server.backup.earliest_restore_date.tzinfo
    assert unknown_keys(Server(mine), mine) == []
    for raw in [*example(PG / "BackupListByServer.json")["value"], *backups["value"]]:
        backup = BackupAutomaticAndOnDemand(raw)
        assert backup.completed_time.tzinfo and backup.backup_type and backup.source
    assert unknown_keys(BackupAutomaticAndOnDemand(backups["value"][0]), backups["value"][0]) == []


def test_pitr_accepts_the_official_example_request(emu: AzureEmulator) -> None:
    official = json.loads((PG / "ServersCreatePointInTimeRestore.json").read_text())
    body = official["parameters"]["parameters"]
    body["properties"]["sourceServerResourceId"] = rg_path("Microsoft.DBforPostgreSQL/flexibleServers/pharmabot-db")
    body["properties"]["pointInTimeUTC"] = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    response = requests.put(
        emu.url + rg_path("Microsoft.DBforPostgreSQL/flexibleServers/restored"),
        params={"api-version": "2026-10-01"},
        json=body,
        verify=emu.ca_path,
        timeout=5,
        headers={"Authorization": f"Bearer {emu.token}"},
    )
    assert response.status_code == 202 and response.content == b""
    for name, value in official["responses"]["202"]["headers"].items():
        theirs = value.split("management.azure.com")[1].split("?")[0].rsplit("/", 1)[0]
        ours = response.headers[name].replace(emu.url, "").split("?")[0].rsplit("/", 1)[0]
        assert ours == theirs.replace("ffffffff-ffff-ffff-ffff-ffffffffffff", SUB)


def test_search_shapes_match_official_examples(emu: AzureEmulator) -> None:
    mine = get(emu, "/aliases('drugs')", "2026-04-01")
    stats = get(emu, "/indexes('drugs-v1')/search.stats", "2026-04-01")
    for raw in (example(SEARCH / "SearchServiceGetAlias.json"), mine):
        alias = SearchAlias(raw)
        assert alias.name and len(alias.indexes) == 1
    assert unknown_keys(SearchAlias(mine), mine) == []
    for raw in (example(SEARCH / "SearchServiceGetIndexStatistics.json"), stats):
        assert GetIndexStatisticsResult(raw).document_count >= 12


# -- estate format ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("now", NOW),
        ("-40m", NOW - timedelta(minutes=40)),
        ("-1d6h", NOW - timedelta(hours=30)),
        ("+30d", NOW + timedelta(days=30)),
        ("2026-01-02T03:04:05Z", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (date(2026, 1, 2), datetime(2026, 1, 2, tzinfo=UTC)),
    ],
)
def test_resolve_time(value: Any, expected: datetime) -> None:
    assert resolve_time(value, NOW) == expected


def test_demo_estate_resolves_relative_times() -> None:
    state = load_estate(DEMO_ESTATE_PATH, now=NOW)
    revisions = {r["name"]: r["properties"] for r in state["resources"].values() if r["type"].endswith("/revisions")}
    v2 = revisions["pharmabot-prod--v2"]
    assert v2["createdTime"] == (NOW - timedelta(minutes=40)).isoformat()
    assert (v2["healthState"], v2["runningState"], v2["trafficWeight"]) == ("Unhealthy", "Degraded", 100)
    assert revisions["pharmabot-staging--v1"]["template"]["containers"][0]["image"].endswith(":1.4.2")
    servers = [r for r in state["resources"].values() if r["type"] == "Microsoft.DBforPostgreSQL/flexibleServers"]
    assert {s["properties"]["backup"]["earliestRestoreDate"] for s in servers} == {
        (NOW - timedelta(days=7)).isoformat()
    }


def test_compact_dict_estate_and_single_mode() -> None:
    state = load_estate(
        {
            "subscription": "s",
            "resource_group": "rg",
            "container_apps": [
                {
                    "name": "api",
                    "revisions_mode": "single",
                    "revisions": [
                        {"name": "a", "image": "img:1", "created": "-2h"},
                        {"name": "b", "image": "img:2", "created": "-1h"},
                    ],
                }
            ],
            "search": {"indexes": {"i1": 3}, "aliases": {"al": "i1"}},
        },
        now=NOW,
    )
    app = state["resources"]["/subscriptions/s/resourcegroups/rg/providers/microsoft.app/containerapps/api"]
    assert app["properties"]["configuration"]["activeRevisionsMode"] == "Single"
    assert app["properties"]["latestRevisionName"] == "api--b"
    assert app["properties"]["configuration"]["ingress"]["traffic"] == [{"latestRevision": True, "weight": 100}]
    assert state["search"]["documentCounts"] == {"i1": 3}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"containers": []}, "unknown top-level key"),
        ({"search": {"indexes": {"a": 1}, "aliases": {"x": "b"}}}, "unknown index"),
        (
            {"container_apps": [{"name": "api", "revisions": [{"name": "a", "image": "i", "traffic": 50}]}]},
            "must be 100",
        ),
        (
            {"container_apps": [{"name": "api", "revisions": [{"name": "a", "image": "i", "created": "yesterday"}]}]},
            "cannot read time",
        ),
    ],
)
def test_bad_estates_are_refused_clearly(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_estate(spec)


def test_state_dir_keeps_state_and_ca_across_restarts(tmp_path: Path) -> None:
    state_dir = tmp_path / "emu"
    with AzureEmulator(state_dir=state_dir) as first:
        first.set_revision(SUB, RG, "pharmabot-prod", "pharmabot-prod--v1", traffic_weight=100)
        ca_before = Path(first.ca_path).read_bytes()
    assert json.loads((state_dir / "state.json").read_text())["search"]["aliases"]["drugs"]["indexes"] == ["drugs-v2"]
    with AzureEmulator(state_dir=state_dir) as second:
        assert Path(second.ca_path).read_bytes() == ca_before
        assert second.traffic(SUB, RG, "pharmabot-prod") == {"pharmabot-prod--v1": 100, "pharmabot-prod--v2": 0}
        assert get(second, rg_path("Microsoft.App/containerApps/pharmabot-prod"))["name"] == "pharmabot-prod"


def test_command_line_serves_until_terminated(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.emulators.azure", "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().rsplit(" ", 1)[1]
        ca_path = process.stdout.readline().strip().split(": ", 1)[1]
        state = requests.get(f"{url}/_emulator/state", verify=ca_path, timeout=5).json()
        assert "drugs" in state["search"]["aliases"]
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        if process.stdout is not None:
            process.stdout.close()
