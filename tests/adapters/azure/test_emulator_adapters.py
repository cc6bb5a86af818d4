"""Every adapter operation, LROs included, through the real SDKs over HTTPS against the Azure emulator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.azure.clients import AzureClients
from bot.adapters.azure.container_apps import AzureContainerAppsApi
from bot.adapters.azure.openai import AzureModelDeploymentsApi
from bot.adapters.azure.postgres import AzurePostgresApi
from bot.adapters.azure.search import AzureSearchApi
from bot.domain.azure import ContainerAppRef, OpenAIAccountRef, PostgresServerRef, SearchAliasRef
from bot.domain.traffic import TrafficRule, TrafficRules
from bot.errors import AzureConflictError, UsageError
from sandbox.emulators.azure import AzureEmulator
from tests.adapters.azure.conftest import RG, SUB

PROD = ContainerAppRef(SUB, RG, "pharmabot-prod")
ACCOUNT = OpenAIAccountRef(SUB, RG, "pharmabot-openai")
DB = PostgresServerRef(SUB, RG, "pharmabot-db")


@pytest.fixture
def clients(make_clients: Callable[..., AzureClients]) -> AzureClients:
    """Clients with the default fast bounds."""
    return make_clients()


# --- Container Apps ------------------------------------------------------------------------------


def test_get_app_reads_mode_traffic_and_revisions(clients: AzureClients) -> None:
    app = AzureContainerAppsApi(clients=clients).get_app(PROD)
    assert (app.name, app.active_revisions_mode, app.location) == ("pharmabot-prod", "Multiple", "eastus")
    v1, v2 = app.revision("pharmabot-prod--v1"), app.revision("pharmabot-prod--v2")
    assert v1 and v2
    assert (v1.active, v1.traffic_weight, v1.health_state) == (True, 0, "Healthy")
    assert (v2.active, v2.traffic_weight, v2.health_state, v2.running_state) == (True, 100, "Unhealthy", "Degraded")
    assert v1.image == "pharmabotacr.azurecr.io/pharmabot:1.4.2"
    assert v1.created_time and v2.created_time and v1.created_time < v2.created_time
    assert app.latest_revision == "pharmabot-prod--v2"


def test_list_revisions(clients: AzureClients) -> None:
    names = [r.name for r in AzureContainerAppsApi(clients=clients).list_revisions(PROD)]
    assert sorted(names) == ["pharmabot-prod--v1", "pharmabot-prod--v2"]


def test_set_traffic_sends_a_traffic_only_patch_and_waits_for_the_lro(
    emulator: AzureEmulator, clients: AzureClients
) -> None:
    state = AzureContainerAppsApi(clients=clients).set_traffic(
        PROD, TrafficRules.named({"pharmabot-prod--v1": 100, "pharmabot-prod--v2": 0})
    )
    assert emulator.traffic(SUB, RG, "pharmabot-prod") == {"pharmabot-prod--v1": 100, "pharmabot-prod--v2": 0}
    assert {r.name: r.traffic_weight for r in state.revisions} == {"pharmabot-prod--v1": 100, "pharmabot-prod--v2": 0}
    (patch,) = emulator.requests.matching("PATCH")
    assert patch.body == {
        "properties": {
            "configuration": {
                "ingress": {
                    "traffic": [
                        {"revisionName": "pharmabot-prod--v1", "weight": 100},
                        {"revisionName": "pharmabot-prod--v2", "weight": 0},
                    ]
                }
            }
        }
    }
    assert emulator.traffic(SUB, RG, "pharmabot-staging")["pharmabot-staging--v2"] == 100


def test_set_traffic_writes_the_whole_rule_list_with_forms_and_labels(
    emulator: AzureEmulator, clients: AzureClients
) -> None:
    rules = TrafficRules.of(
        TrafficRule(weight=0, latest_revision=True, label="next"),
        TrafficRule(weight=100, revision="pharmabot-prod--v1", label="stable"),
        TrafficRule(weight=0, revision="pharmabot-prod--v2"),
    )
    state = AzureContainerAppsApi(clients=clients).set_traffic(PROD, rules)
    assert state.traffic == rules
    assert emulator.traffic_rules(SUB, RG, "pharmabot-prod") == rules.to_json()
    (patch,) = emulator.requests.matching("PATCH")
    assert patch.body["properties"]["configuration"]["ingress"]["traffic"] == [
        {"latestRevision": True, "weight": 0, "label": "next"},
        {"revisionName": "pharmabot-prod--v1", "weight": 100, "label": "stable"},
        {"revisionName": "pharmabot-prod--v2", "weight": 0},
    ]


@pytest.mark.parametrize("weights", [{}, {"pharmabot-prod--v1": 60}, {"pharmabot-prod--v1": 120, "x": -20}, "labels"])
def test_set_traffic_refuses_a_list_azure_would_refuse(
    emulator: AzureEmulator, clients: AzureClients, weights: dict[str, int] | str
) -> None:
    with pytest.raises(UsageError):
        rules = (
            TrafficRules.of(
                TrafficRule(weight=50, revision="pharmabot-prod--v1", label="a"),
                TrafficRule(weight=50, revision="pharmabot-prod--v2", label="a"),
            )
            if weights == "labels"
            else TrafficRules.named(weights)  # type: ignore[arg-type]
        )
        AzureContainerAppsApi(clients=clients).set_traffic(PROD, rules)
    assert not emulator.requests.matching("PATCH")


def test_deactivate_and_activate_revision(clients: AzureClients) -> None:
    api = AzureContainerAppsApi(clients=clients)
    api.deactivate_revision(PROD, "pharmabot-prod--v1")
    assert api.get_app(PROD).revision("pharmabot-prod--v1").active is False  # type: ignore[union-attr]
    api.activate_revision(PROD, "pharmabot-prod--v1")
    assert api.get_app(PROD).revision("pharmabot-prod--v1").active is True  # type: ignore[union-attr]


# --- Azure OpenAI --------------------------------------------------------------------------------


def test_get_and_list_deployments(clients: AzureClients) -> None:
    api = AzureModelDeploymentsApi(clients=clients)
    dep = api.get_deployment(ACCOUNT, "gpt4o-stable")
    assert (dep.model, dep.version, dep.format) == ("gpt-4o", "2024-08-06", "OpenAI")
    assert (dep.version_upgrade_option, dep.sku_name, dep.sku_capacity) == ("NoAutoUpgrade", "Standard", 10)
    assert dep.provisioning_state == "Succeeded"
    assert api.list_deployments(ACCOUNT) == [dep]


def test_set_model_version_puts_the_pinned_version_keeping_sku_and_format(
    emulator: AzureEmulator, clients: AzureClients
) -> None:
    dep = AzureModelDeploymentsApi(clients=clients).set_model_version(ACCOUNT, "gpt4o-stable", "2024-05-13")
    assert (dep.version, dep.version_upgrade_option, dep.sku_capacity) == ("2024-05-13", "NoAutoUpgrade", 10)
    assert emulator.deployment(SUB, RG, "pharmabot-openai", "gpt4o-stable")["properties"]["model"]["version"] == (
        "2024-05-13"
    )
    (put,) = emulator.requests.matching("PUT")
    assert put.body["sku"] == {"name": "Standard", "capacity": 10}
    assert put.body["properties"]["model"] == {"format": "OpenAI", "name": "gpt-4o", "version": "2024-05-13"}
    assert put.body["properties"]["versionUpgradeOption"] == "NoAutoUpgrade"


@pytest.mark.parametrize("version", ["latest", " ", "Latest", "default"])
def test_set_model_version_refuses_floating_versions(
    emulator: AzureEmulator, clients: AzureClients, version: str
) -> None:
    with pytest.raises(UsageError, match="explicit"):
        AzureModelDeploymentsApi(clients=clients).set_model_version(ACCOUNT, "gpt4o-stable", version)
    assert not emulator.requests.matching("PUT")


def test_account_and_location_models(clients: AzureClients) -> None:
    api = AzureModelDeploymentsApi(clients=clients)
    account = {m.version: m for m in api.list_account_models(ACCOUNT) if m.name == "gpt-4o"}
    assert set(account) >= {"2024-08-06", "2024-05-13", "2024-02-15"}
    assert account["2024-08-06"].is_default_version is True
    assert account["2024-02-15"].lifecycle_status == "Deprecated"
    now = datetime.now(UTC)
    assert account["2024-05-13"].deprecation_inference and account["2024-05-13"].deprecation_inference > now
    assert account["2024-02-15"].deprecation_inference and account["2024-02-15"].deprecation_inference < now
    region = {(m.name, m.version) for m in api.list_location_models(ACCOUNT, "eastus")}
    assert ("gpt-4o", "2024-05-13") in region


# --- PostgreSQL ----------------------------------------------------------------------------------


def test_get_server_and_backups(clients: AzureClients) -> None:
    api = AzurePostgresApi(clients=clients)
    server = api.get_server(DB)
    assert (server.name, server.state, server.location, server.backup_retention_days) == (
        "pharmabot-db",
        "Ready",
        "eastus",
        7,
    )
    assert server.earliest_restore_date and server.earliest_restore_date < datetime.now(UTC) - timedelta(days=6)
    backups = api.list_backups(DB)
    assert len(backups) == 7
    assert all(b.completed_time and b.type for b in backups)


def test_point_in_time_restore_creates_a_new_server(emulator: AzureEmulator, clients: AzureClients) -> None:
    when = datetime.now(UTC) - timedelta(hours=1)
    api = AzurePostgresApi(clients=clients)
    assert api.find_server(DB, "pharmabot-db-pitr") is None
    api.start_restore(DB, target_server="pharmabot-db-pitr", point_in_time=when)
    provisioning = api.find_server(DB, "pharmabot-db-pitr")
    assert provisioning is not None and provisioning.state == "Provisioning"
    restored = api.find_server(DB, "pharmabot-db-pitr")
    assert restored is not None and restored.name == "pharmabot-db-pitr" and restored.state == "Ready"
    assert {s.name for s in api.list_servers(DB)} >= {"pharmabot-db", "pharmabot-db-pitr"}
    (put,) = emulator.requests.matching("PUT")
    assert put.path.endswith("/flexibleServers/pharmabot-db-pitr")
    assert put.body["properties"]["createMode"] == "PointInTimeRestore"
    assert put.body["properties"]["sourceServerResourceId"].lower() == DB.resource_id.lower()
    assert AzurePostgresApi(clients=clients).get_server(DB).state == "Ready"


def test_restore_refuses_an_existing_target(emulator: AzureEmulator, clients: AzureClients) -> None:
    when = datetime.now(UTC) - timedelta(hours=1)
    with pytest.raises(AzureConflictError, match="already exists"):
        AzurePostgresApi(clients=clients).start_restore(DB, target_server="pharmabot-db-staging", point_in_time=when)
    assert not emulator.requests.matching("PUT")


@pytest.mark.parametrize(
    ("target", "when"),
    [
        ("pharmabot-db", datetime.now(UTC) - timedelta(hours=1)),
        ("new-db", datetime(2026, 1, 1, 12, 0)),  # naive
        ("new-db", datetime.now(UTC) - timedelta(days=30)),  # before the earliest restore point
    ],
)
def test_restore_refuses_bad_input(emulator: AzureEmulator, clients: AzureClients, target: str, when: datetime) -> None:
    with pytest.raises(UsageError):
        AzurePostgresApi(clients=clients).start_restore(DB, target_server=target, point_in_time=when)
    assert not emulator.requests.matching("PUT")


# --- AI Search -----------------------------------------------------------------------------------


def test_search_alias_read_swap_and_index_counts(emulator: AzureEmulator, clients: AzureClients) -> None:
    api = AzureSearchApi(clients=clients)
    ref = SearchAliasRef(emulator.url, "drugs")
    assert api.get_alias(ref).index == "drugs-v2"
    assert api.set_alias(ref, "drugs-v1").indexes == ("drugs-v1",)
    assert emulator.alias("drugs") == ["drugs-v1"]
    assert {(i.name, i.document_count) for i in api.list_indexes(ref)} == {("drugs-v1", 12000), ("drugs-v2", 12450)}


def test_search_with_an_admin_key(emulator: AzureEmulator, clients: AzureClients) -> None:
    api = AzureSearchApi(clients=clients, api_key=emulator.token)
    assert api.get_alias(SearchAliasRef(emulator.url, "drugs")).index == "drugs-v2"
    assert emulator.requests.matching("GET", "/aliases")[-1].headers.get("api-key") == emulator.token
