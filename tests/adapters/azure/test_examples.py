"""Every adapter read and LRO parses the official Azure REST examples (Azure/azure-rest-api-specs)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from azure.mgmt.appcontainers import models as aca

from bot.adapters.azure.clients import AzureClients
from bot.adapters.azure.container_apps import AzureContainerAppsApi, _revision
from bot.adapters.azure.openai import AzureModelDeploymentsApi
from bot.adapters.azure.postgres import AzurePostgresApi
from bot.adapters.azure.search import AzureSearchApi
from bot.domain.azure import (
    Backup,
    ContainerAppRef,
    OpenAIAccountRef,
    PostgresServerRef,
    Revision,
    SearchAliasRef,
)
from bot.domain.traffic import TrafficRule, TrafficRules
from tests.adapters.azure.example_server import ACA, COG, PG, SEARCH, ExampleServer, example, response

SUB = "34adfa4f-cedf-4dc0-ba29-b6d1a69ab345"
APP = ContainerAppRef(SUB, "rg", "testcontainerapp0")
APP_PATH = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.App/containerApps/testcontainerapp0"
ACCOUNT = OpenAIAccountRef("subscriptionId", "resourceGroupName", "accountName")
ACCOUNT_PATH = (
    "/subscriptions/subscriptionId/resourceGroups/resourceGroupName/providers/Microsoft.CognitiveServices"
    "/accounts/accountName"
)
PG_SUB = "ffffffff-ffff-ffff-ffff-ffffffffffff"
SERVER = PostgresServerRef(PG_SUB, "exampleresourcegroup", "exampleserver")
SERVERS_PATH = (
    f"/subscriptions/{PG_SUB}/resourceGroups/exampleresourcegroup/providers/Microsoft.DBforPostgreSQL/flexibleServers"
)

EXPECTED_REVISION = Revision(
    name="testcontainerApp0-pjxhsye",
    active=True,
    traffic_weight=80,
    created_time=datetime(2021, 5, 24, 21, 24, 22, tzinfo=UTC),
    image="repo/testcontainerApp0:v2",
    health_state=None,
    running_state=None,
    provisioning_state=None,
    fqdn="testcontainerApp0-pjxhsye.politehill-ab123456.eastus.azurecontainerapps.io",
)


@pytest.fixture
def apps(example_server: ExampleServer, example_clients: AzureClients) -> AzureContainerAppsApi:
    """Container Apps adapter with the revisions and app examples routed."""
    example_server.example("GET", APP_PATH, ACA / "ContainerApps_Get.json")
    example_server.example("GET", APP_PATH + "/revisions", ACA / "Revisions_List.json")
    return AzureContainerAppsApi(clients=example_clients)


def test_revisions_list_example(apps: AzureContainerAppsApi) -> None:
    assert apps.list_revisions(APP) == [EXPECTED_REVISION]


def test_revisions_get_example_parses_with_optional_fields_missing() -> None:
    body = example(ACA / "Revisions_Get.json")["responses"]["200"]["body"]
    rev = _revision(aca.Revision(body))
    assert rev.name == "testcontainerApp0-pjxhsye"
    assert rev.image == "repo/testcontainerApp0:v2"
    assert rev.health_state is None and rev.provisioning_state is None


def test_container_app_get_example(apps: AzureContainerAppsApi) -> None:
    state = apps.get_app(APP)
    assert state.name == "testcontainerapp0"
    assert state.active_revisions_mode is None  # absent from the official example
    assert state.fqdn == "testcontainerapp0.demokube-t24clv0g.eastus.containerApps.k4apps.io"
    assert state.location == "East US"
    assert state.traffic == TrafficRules.of(
        TrafficRule(weight=80, revision="testcontainerapp0-ab1234"),
        TrafficRule(weight=20, revision="testcontainerapp0-ab4321", label="staging"),
    )
    assert state.revisions == (EXPECTED_REVISION,)


def test_container_app_patch_example_lro(example_server: ExampleServer, apps: AzureContainerAppsApi) -> None:
    example_server.example("PATCH", APP_PATH, ACA / "ContainerApps_Patch.json", status="202")
    state = apps.set_traffic(APP, TrafficRules.named({"testcontainerapp0-ab1234": 100, "testcontainerapp0-ab4321": 0}))
    assert state.name == "testcontainerapp0"
    patch = example_server.sent("PATCH")[0]
    assert patch.body == {
        "properties": {
            "configuration": {
                "ingress": {
                    "traffic": [
                        {"revisionName": "testcontainerapp0-ab1234", "weight": 100},
                        {"revisionName": "testcontainerapp0-ab4321", "weight": 0},
                    ]
                }
            }
        }
    }
    polled = [r.path for r in example_server.sent("GET")]
    assert any("containerappOperationResults/62e4d893-d233-4005-988e-a428d9f77076" in p for p in polled)


def test_container_app_patch_example_200(example_server: ExampleServer, apps: AzureContainerAppsApi) -> None:
    example_server.example("PATCH", APP_PATH, ACA / "ContainerApps_Patch.json", status="200")
    assert apps.set_traffic(APP, TrafficRules.named({"testcontainerapp0-ab1234": 100})).name == "testcontainerapp0"


@pytest.fixture
def openai(example_server: ExampleServer, example_clients: AzureClients) -> AzureModelDeploymentsApi:
    """OpenAI adapter with the deployment and model examples routed."""
    example_server.example(
        "GET", ACCOUNT_PATH + "/deployments/deploymentName", COG / "2025-09-01/examples/GetDeployment.json"
    )
    example_server.example("GET", ACCOUNT_PATH + "/deployments", COG / "2024-10-01/examples/ListDeployments.json")
    example_server.example("GET", ACCOUNT_PATH + "/models", COG / "2025-09-01/examples/ListAccountModels.json")
    example_server.example(
        "GET",
        "/subscriptions/subscriptionId/providers/Microsoft.CognitiveServices/locations/eastus/models",
        COG / "2025-09-01/examples/ListLocationModels.json",
    )
    return AzureModelDeploymentsApi(clients=example_clients)


def test_deployment_get_and_list_examples(openai: AzureModelDeploymentsApi) -> None:
    dep = openai.get_deployment(ACCOUNT, "deploymentName")
    assert (dep.name, dep.model, dep.version, dep.format) == ("deploymentName", "ada", "1", "OpenAI")
    assert (dep.sku_name, dep.sku_capacity, dep.provisioning_state) == ("Standard", 1, "Succeeded")
    assert dep.version_upgrade_option is None
    assert openai.list_deployments(ACCOUNT) == [dep]


@pytest.mark.parametrize("status", ["200", "201"])
def test_deployment_put_example(example_server: ExampleServer, openai: AzureModelDeploymentsApi, status: str) -> None:
    example_server.example(
        "PUT", ACCOUNT_PATH + "/deployments/deploymentName", COG / "2024-10-01/examples/PutDeployment.json", status
    )
    dep = openai.set_model_version(ACCOUNT, "deploymentName", "2")
    assert dep.provisioning_state == "Succeeded"  # 201 "Accepted" → polled to the GET example
    assert example_server.sent("PUT")[0].body == {
        "sku": {"name": "Standard", "capacity": 1},
        "properties": {
            "model": {"format": "OpenAI", "name": "ada", "version": "2"},
            "versionUpgradeOption": "NoAutoUpgrade",
        },
    }


def test_account_models_example(openai: AzureModelDeploymentsApi) -> None:
    models = {(m.name, m.version): m for m in openai.list_account_models(ACCOUNT)}
    gpt4o = models[("gpt-4o", "2024-05-13")]
    assert gpt4o.is_default_version is None  # absent from this entry of the example
    assert gpt4o.lifecycle_status == "Deprecating"
    assert gpt4o.deprecation_inference == datetime(2025, 9, 15, tzinfo=UTC)
    assert models[("dall-e-3", "3.0")].is_default_version is True


def test_location_models_example(openai: AzureModelDeploymentsApi) -> None:
    models = openai.list_location_models(ACCOUNT, "eastus")
    ada = next(m for m in models if m.name == "ada")
    assert (ada.version, ada.format, ada.lifecycle_status) == ("1", "OpenAI", "Legacy")
    assert ada.deprecation_inference == datetime(2024, 6, 14, tzinfo=UTC)
    assert len({(m.format, m.name, m.version) for m in models}) == len(models)


@pytest.fixture
def postgres(example_server: ExampleServer, example_clients: AzureClients) -> AzurePostgresApi:
    """Postgres adapter with the server and backup examples routed."""
    example_server.example("GET", SERVERS_PATH + "/exampleserver", PG / "ServersGet.json")
    example_server.example("GET", SERVERS_PATH + "/exampleserver/backups", PG / "BackupListByServer.json")
    return AzurePostgresApi(clients=example_clients)


def test_server_get_example(postgres: AzurePostgresApi) -> None:
    server = postgres.get_server(SERVER)
    assert (server.name, server.state, server.location, server.version) == ("exampleserver", "Ready", "eastus", "17")
    assert server.earliest_restore_date == datetime(2025, 6, 1, 18, 35, 22, 123456, tzinfo=UTC)
    assert server.backup_retention_days == 7
    assert server.fqdn == "exampleserver.postgres.database.azure.com"


def test_backups_list_example(postgres: AzurePostgresApi) -> None:
    backups = postgres.list_backups(SERVER)
    assert backups[0] == Backup(
        name="backup_638830782181266873",
        completed_time=datetime(2024, 8, 1, 14, 30, 22, 123456, tzinfo=UTC),
        type="Full",
        source="Automatic",
    )
    assert backups[1].type == "Customer On-Demand" and backups[1].source == "Customer Initiated"


def test_point_in_time_restore_example(example_server: ExampleServer, postgres: AzurePostgresApi) -> None:
    example_server.example("PUT", SERVERS_PATH + "/restored", PG / "ServersCreatePointInTimeRestore.json", "202")
    not_found = (404, {"error": {"code": "ResourceNotFound", "message": "not found"}}, {})
    example_server.sequence("GET", SERVERS_PATH + "/restored", [not_found, response(PG / "ServersGet.json", "200")])
    when = datetime(2025, 6, 1, 19, 0, tzinfo=UTC)
    postgres.start_restore(SERVER, target_server="restored", point_in_time=when)
    state = postgres.find_server(SERVER, "restored")
    assert state is not None and state.state == "Ready"
    put = example_server.sent("PUT")[0]
    expected = example(PG / "ServersCreatePointInTimeRestore.json")["parameters"]["parameters"]
    assert put.body["location"] == expected["location"]
    assert put.body["properties"]["createMode"] == expected["properties"]["createMode"]
    assert put.body["properties"]["sourceServerResourceId"] == f"{SERVERS_PATH}/exampleserver"
    assert put.body["properties"]["pointInTimeUTC"] == "2025-06-01T19:00:00Z"
    assert not any("azureAsyncOperation" in r.path for r in example_server.sent("GET"))  # followed by the server


def test_search_alias_and_statistics_examples(example_server: ExampleServer, example_clients: AzureClients) -> None:
    example_server.example("GET", r"/aliases\('myalias'\)", SEARCH / "SearchServiceGetAlias.json")
    example_server.example(
        "GET", r"/indexes\('preview-test'\)/search.stats", SEARCH / "SearchServiceGetIndexStatistics.json"
    )
    example_server.route("GET", "/indexes", 200, {"value": [{"name": "preview-test", "fields": []}]})
    search = AzureSearchApi(clients=example_clients)
    ref = SearchAliasRef(example_server.url, "myalias")
    alias = search.get_alias(ref)
    assert (alias.alias, alias.indexes, alias.index) == ("myalias", ("preview-test",), "preview-test")
    assert [(i.name, i.document_count) for i in search.list_indexes(ref)] == [("preview-test", 12)]
