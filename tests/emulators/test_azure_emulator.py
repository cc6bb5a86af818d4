"""The Azure emulator through the real SDK clients over HTTPS (demo estate unless a test says otherwise)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.credentials import AccessToken, AzureKeyCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.appcontainers.models import ContainerApp, TrafficWeight
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import PatchResourceTagsAndSku, Sku
from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient
from azure.mgmt.postgresqlflexibleservers.models import CreateMode, Server, ServerProperties
from azure.search.documents import SearchClient
from azure.search.documents.indexes import SearchIndexClient

from sandbox.emulators.azure import AzureEmulator

SUB = "00000000-0000-0000-0000-000000000001"
RG = "pharmabot-rg"
APP = "pharmabot-prod"
V1, V2 = f"{APP}--v1", f"{APP}--v2"
ACCOUNT, DEPLOYMENT = "pharmabot-openai", "gpt4o-stable"
ROLLBACK_BODY = {
    "sku": {"name": "Standard", "capacity": 10},
    "properties": {
        "model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-05-13"},
        "versionUpgradeOption": "NoAutoUpgrade",
    },
}


class Cred:
    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[AzureEmulator]:
    with AzureEmulator(state_dir=tmp_path / "emu") as emulator:
        yield emulator


def _kw(emu: AzureEmulator) -> dict[str, Any]:
    return {"base_url": emu.url, "connection_verify": emu.ca_path, "polling_interval": 0, "retry_total": 0}


@pytest.fixture
def aca(emu: AzureEmulator) -> ContainerAppsAPIClient:
    return ContainerAppsAPIClient(Cred(emu.token), SUB, **_kw(emu))


@pytest.fixture
def cog(emu: AzureEmulator) -> CognitiveServicesManagementClient:
    return CognitiveServicesManagementClient(Cred(emu.token), SUB, **_kw(emu))


@pytest.fixture
def pg(emu: AzureEmulator) -> PostgreSQLManagementClient:
    return PostgreSQLManagementClient(Cred(emu.token), SUB, **_kw(emu))


@pytest.fixture
def indexes(emu: AzureEmulator) -> SearchIndexClient:
    return SearchIndexClient(emu.url, AzureKeyCredential(emu.token), connection_verify=emu.ca_path, retry_total=0)


def _traffic_patch(*weights: tuple[str, int]) -> ContainerApp:
    traffic = [TrafficWeight(revision_name=name, weight=w) for name, w in weights]
    return ContainerApp({"properties": {"configuration": {"ingress": {"traffic": traffic}}}})


def _raw(emu: AzureEmulator, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, emu.url + path, verify=emu.ca_path, timeout=5, **kwargs)


# -- Container Apps --------------------------------------------------------------------------------


def test_list_revisions_follows_next_link_across_pages(emu: AzureEmulator, aca: ContainerAppsAPIClient) -> None:
    emu.set_revision(SUB, RG, APP, "v3", image="pharmabotacr.azurecr.io/pharmabot:1.5.1", created="-5m")
    revisions = list(aca.container_apps_revisions.list_revisions(RG, APP))
    assert [r.name for r in revisions] == [V1, V2, f"{APP}--v3"]
    pages = emu.requests.matching("GET", f"/containerApps/{APP}/revisions")
    assert len(pages) == 2 and pages[1].query["$skiptoken"] == "2"
    v1, v2 = revisions[0], revisions[1]
    assert (v1.active, v1.traffic_weight, v1.health_state, v1.running_state) == (True, 0, "Healthy", "Running")
    assert (v2.traffic_weight, v2.health_state, v2.running_state) == (100, "Unhealthy", "Degraded")
    assert v1.template.containers[0].image == "pharmabotacr.azurecr.io/pharmabot:1.4.2"
    assert v2.created_time > v1.created_time and v2.provisioning_state == "Provisioned"


def test_get_app(aca: ContainerAppsAPIClient) -> None:
    app = aca.container_apps.get(RG, APP)
    assert app.configuration.active_revisions_mode == "Multiple"
    assert app.latest_revision_name == V2 and app.provisioning_state == "Succeeded"
    assert [(t.revision_name, t.weight) for t in app.configuration.ingress.traffic] == [(V1, 0), (V2, 100)]


def test_get_unknown_app_is_resource_not_found(aca: ContainerAppsAPIClient) -> None:
    with pytest.raises(ResourceNotFoundError) as caught:
        aca.container_apps.get(RG, "nope")
    assert caught.value.error.code == "ResourceNotFound"
    assert caught.value.error.message == (
        "The Resource 'Microsoft.App/containerApps/nope' under resource group 'pharmabot-rg' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix"
    )


def test_traffic_patch_runs_as_lro_and_recomputes_weights(emu: AzureEmulator, aca: ContainerAppsAPIClient) -> None:
    result = aca.container_apps.begin_update(RG, APP, _traffic_patch((V1, 100), (V2, 0))).result()
    assert [(t.revision_name, t.weight) for t in result.configuration.ingress.traffic] == [(V1, 100), (V2, 0)]
    assert emu.traffic(SUB, RG, APP) == {V1: 100, V2: 0}
    assert emu.traffic(SUB, RG, "pharmabot-staging") == {"pharmabot-staging--v1": 0, "pharmabot-staging--v2": 100}
    calls = [(r.method, r.path.rsplit("/", 2)[-2]) for r in emu.requests]
    assert calls == [
        ("PATCH", "containerApps"),
        ("GET", "containerappOperationStatuses"),
        ("GET", "containerappOperationStatuses"),
        ("GET", "containerApps"),
    ]
    patch = emu.requests[0]
    assert patch.body == {
        "properties": {
            "configuration": {
                "ingress": {"traffic": [{"revisionName": V1, "weight": 100}, {"revisionName": V2, "weight": 0}]}
            }
        }
    }
    assert patch.headers["authorization"] == f"Bearer {emu.token}" and patch.query["api-version"] == "2026-07-01"


def test_patch_latest_revision_entry_resolves_to_latest(emu: AzureEmulator, aca: ContainerAppsAPIClient) -> None:
    patch = ContainerApp(
        {
            "properties": {
                "configuration": {
                    "ingress": {
                        "traffic": [
                            TrafficWeight(latest_revision=True, weight=30),
                            TrafficWeight(revision_name=V1, weight=70),
                        ]
                    }
                }
            }
        }
    )
    aca.container_apps.begin_update(RG, APP, patch).result()
    assert emu.traffic(SUB, RG, APP) == {V1: 70, V2: 30}


@pytest.mark.parametrize(
    ("weights", "code"),
    [
        (((V1, 60), (V2, 30)), "ContainerAppInvalidTrafficWeight"),
        (((f"{APP}--ghost", 100),), "ContainerAppRevisionNotFound"),
    ],
)
def test_patch_rejects_invalid_traffic(aca: ContainerAppsAPIClient, weights: Any, code: str) -> None:
    with pytest.raises(HttpResponseError) as caught:
        aca.container_apps.begin_update(RG, APP, _traffic_patch(*weights))
    assert caught.value.status_code == 400 and caught.value.error.code == code


def test_patch_rejects_traffic_to_inactive_revision(emu: AzureEmulator, aca: ContainerAppsAPIClient) -> None:
    emu.set_revision(SUB, RG, APP, V1, active=False)
    with pytest.raises(HttpResponseError) as caught:
        aca.container_apps.begin_update(RG, APP, _traffic_patch((V1, 100), (V2, 0)))
    assert caught.value.error.code == "ContainerAppRevisionNotActive"


def test_single_mode_refuses_weights_on_older_revision(aca: ContainerAppsAPIClient) -> None:
    aca.container_apps.begin_update(
        RG, APP, ContainerApp({"properties": {"configuration": {"activeRevisionsMode": "Single"}}})
    ).result()
    with pytest.raises(HttpResponseError) as caught:
        aca.container_apps.begin_update(RG, APP, _traffic_patch((V1, 100), (V2, 0)))
    assert caught.value.error.code == "ContainerAppInvalidTrafficWeight"
    assert "Single revision mode" in caught.value.error.message


def test_activate_and_deactivate(emu: AzureEmulator, aca: ContainerAppsAPIClient) -> None:
    revisions = aca.container_apps_revisions
    assert revisions.deactivate_revision(RG, APP, V1) is None
    v1 = revisions.get_revision(RG, APP, V1)
    assert (v1.active, v1.replicas, v1.running_state) == (False, 0, "Stopped")
    with pytest.raises(HttpResponseError) as caught:
        revisions.deactivate_revision(RG, APP, V2)
    assert caught.value.error.code == "ContainerAppRevisionHasTraffic"
    revisions.activate_revision(RG, APP, V1)
    assert revisions.get_revision(RG, APP, V1).active is True
    assert [r.body for r in emu.requests.matching("POST")] == [None, None, None]


def test_template_change_creates_new_revision(emu: AzureEmulator, aca: ContainerAppsAPIClient) -> None:
    patch = ContainerApp(
        {
            "properties": {
                "template": {
                    "revisionSuffix": "v3",
                    "containers": [{"name": APP, "image": "pharmabotacr.azurecr.io/pharmabot:1.5.1"}],
                }
            }
        }
    )
    app = aca.container_apps.begin_update(RG, APP, patch).result()
    assert app.latest_revision_name == f"{APP}--v3"
    assert emu.traffic(SUB, RG, APP) == {V1: 0, V2: 100, f"{APP}--v3": 0}


# -- Cognitive Services ----------------------------------------------------------------------------


def test_deployment_get_and_list(cog: CognitiveServicesManagementClient) -> None:
    deployment = cog.deployments.get(RG, ACCOUNT, DEPLOYMENT)
    assert deployment.properties.model.name == "gpt-4o" and deployment.properties.model.version == "2024-08-06"
    assert deployment.properties.version_upgrade_option == "NoAutoUpgrade"
    assert (deployment.sku.name, deployment.sku.capacity) == ("Standard", 10)
    assert [d.name for d in cog.deployments.list(RG, ACCOUNT)] == [DEPLOYMENT]


def test_deployment_list_pages(emu: AzureEmulator, cog: CognitiveServicesManagementClient) -> None:
    for name in ("second", "third"):
        cog.deployments.begin_create_or_update(RG, ACCOUNT, name, ROLLBACK_BODY).result()
    assert [d.name for d in cog.deployments.list(RG, ACCOUNT)] == [DEPLOYMENT, "second", "third"]
    assert emu.requests.matching("GET", "/deployments")[-1].query["$skiptoken"] == "2"


def test_deployment_rollback_to_previous_version(emu: AzureEmulator, cog: CognitiveServicesManagementClient) -> None:
    result = cog.deployments.begin_create_or_update(RG, ACCOUNT, DEPLOYMENT, ROLLBACK_BODY).result()
    assert result.properties.model.version == "2024-05-13" and result.properties.provisioning_state == "Succeeded"
    assert emu.deployment(SUB, RG, ACCOUNT, DEPLOYMENT)["properties"]["model"]["version"] == "2024-05-13"
    put = emu.requests.matching("PUT")[0]
    assert put.body == ROLLBACK_BODY and put.query["api-version"] == "2025-09-01"
    history = emu.state["deploymentHistory"][
        f"/subscriptions/{SUB}/resourcegroups/{RG}/providers/"
        f"microsoft.cognitiveservices/accounts/{ACCOUNT}/deployments/{DEPLOYMENT}"
    ]
    assert [h["model"]["version"] for h in history] == ["2024-05-13", "2024-08-06", "2024-05-13"]


def test_deployment_put_answers_201_creating_then_succeeded(
    emu: AzureEmulator, cog: CognitiveServicesManagementClient
) -> None:
    initial = cog.deployments.begin_create_or_update(RG, ACCOUNT, DEPLOYMENT, ROLLBACK_BODY, polling=False).result()
    assert initial.properties.provisioning_state == "Creating"
    put = [r for r in emu.requests if r.method == "PUT"]
    assert len(put) == 1
    states = [cog.deployments.get(RG, ACCOUNT, DEPLOYMENT).properties.provisioning_state for _ in range(2)]
    assert states == ["Creating", "Succeeded"]


@pytest.mark.parametrize(
    ("version", "code"), [("1999-01-01", "DeploymentModelNotSupported"), ("2024-02-15", "ServiceModelDeprecated")]
)
def test_deployment_put_refuses_unknown_or_deprecated_version(
    cog: CognitiveServicesManagementClient, version: str, code: str
) -> None:
    body = {**ROLLBACK_BODY, "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": version}}}
    with pytest.raises(HttpResponseError) as caught:
        cog.deployments.begin_create_or_update(RG, ACCOUNT, DEPLOYMENT, body)
    assert caught.value.status_code == 400 and caught.value.error.code == code


def test_deployment_patch_changes_sku_only(cog: CognitiveServicesManagementClient) -> None:
    patch = PatchResourceTagsAndSku(sku=Sku(name="Standard", capacity=20))
    result = cog.deployments.begin_update(RG, ACCOUNT, DEPLOYMENT, patch).result()
    assert result.sku.capacity == 20 and result.properties.model.version == "2024-08-06"


def test_account_and_location_models(cog: CognitiveServicesManagementClient) -> None:
    account = {(m.name, m.version): m for m in cog.accounts.list_models(RG, ACCOUNT)}
    versions = ("2024-11-20", "2024-08-06", "2024-05-13", "2024-02-15")
    assert set(account) == {("gpt-4o", v) for v in versions}
    assert account[("gpt-4o", "2024-08-06")].is_default_version is True
    old = account[("gpt-4o", "2024-02-15")]
    assert old.lifecycle_status == "Deprecated"
    assert datetime.fromisoformat(old.deprecation.inference) < datetime.now(UTC)
    located = list(cog.models.list("eastus"))
    assert {(m.kind, m.sku_name, m.model.version) for m in located} == {("OpenAI", "S0", v) for v in versions}


# -- PostgreSQL ------------------------------------------------------------------------------------


def test_server_and_backups(pg: PostgreSQLManagementClient) -> None:
    server = pg.servers.get(RG, "pharmabot-db")
    assert server.state == "Ready" and server.backup.backup_retention_days == 7
    now = datetime.now(UTC)
    assert timedelta(days=6, hours=23) < now - server.backup.earliest_restore_date < timedelta(days=7, hours=1)
    backups = list(pg.backups_automatic_and_on_demand.list_by_server(RG, "pharmabot-db"))
    assert len(backups) == 7 and {(b.backup_type, b.source) for b in backups} == {("Full", "Automatic")}
    newest = max(b.completed_time for b in backups)
    assert timedelta(hours=2, minutes=59) < now - newest < timedelta(hours=3, minutes=1)


def test_point_in_time_restore_creates_new_server(emu: AzureEmulator, pg: PostgreSQLManagementClient) -> None:
    source = pg.servers.get(RG, "pharmabot-db")
    params = Server(
        location="eastus",
        properties=ServerProperties(
            create_mode=CreateMode.POINT_IN_TIME_RESTORE,
            source_server_resource_id=source.id,
            point_in_time_utc=datetime.now(UTC) - timedelta(hours=1),
        ),
    )
    restored = pg.servers.begin_create_or_update(RG, "pharmabot-db-restored", params).result()
    assert (restored.name, restored.state) == ("pharmabot-db-restored", "Ready")
    assert restored.fully_qualified_domain_name == "pharmabot-db-restored.postgres.database.azure.com"
    put = emu.requests.matching("PUT")[0]
    assert put.body["properties"]["createMode"] == "PointInTimeRestore"
    assert [r.path.split("/")[-2] for r in emu.requests][2:] == [
        "azureAsyncOperation",
        "azureAsyncOperation",
        "flexibleServers",
    ]


@pytest.mark.parametrize(
    ("name", "source", "hours_ago", "code"),
    [
        ("new-db", "pharmabot-db", 24 * 8, "InvalidPointInTime"),
        ("new-db", "ghost-db", 1, "InvalidSourceServer"),
        ("pharmabot-db-staging", "pharmabot-db", 1, "ServerNameAlreadyExists"),
    ],
)
def test_point_in_time_restore_validation(
    pg: PostgreSQLManagementClient, name: str, source: str, hours_ago: int, code: str
) -> None:
    source_id = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.DBforPostgreSQL/flexibleServers/{source}"
    params = Server(
        location="eastus",
        properties=ServerProperties(
            create_mode=CreateMode.POINT_IN_TIME_RESTORE,
            source_server_resource_id=source_id,
            point_in_time_utc=datetime.now(UTC) - timedelta(hours=hours_ago),
        ),
    )
    with pytest.raises(HttpResponseError) as caught:
        pg.servers.begin_create_or_update(RG, name, params)
    assert caught.value.error.code == code


# -- AI Search -------------------------------------------------------------------------------------


def test_search_alias_get_update_and_counts(emu: AzureEmulator, indexes: SearchIndexClient) -> None:
    alias = indexes.get_alias("drugs")
    assert alias.indexes == ["drugs-v2"] and [a.name for a in indexes.list_aliases()] == ["drugs"]
    alias.indexes = ["drugs-v1"]
    updated = indexes.create_or_update_alias(alias)
    assert updated.indexes == ["drugs-v1"] and emu.alias("drugs") == ["drugs-v1"]
    assert sorted(indexes.list_index_names()) == ["drugs-v1", "drugs-v2"]
    assert indexes.get_index("drugs-v2").fields[0].key is True
    assert indexes.get_index_statistics("drugs-v2").document_count == 12450
    search = SearchClient(emu.url, "drugs", AzureKeyCredential(emu.token), connection_verify=emu.ca_path)
    assert search.get_document_count() == 12000
    assert emu.requests[-1].path == "/indexes('drugs')/docs/$count"
    assert emu.requests[-1].query["api-version"] == "2026-04-01"


def test_search_alias_refuses_stale_etag_and_unknown_index(indexes: SearchIndexClient) -> None:
    from azure.core import MatchConditions

    stale = indexes.get_alias("drugs")
    indexes.create_or_update_alias(stale)
    with pytest.raises(HttpResponseError) as caught:
        indexes.create_or_update_alias(stale, match_condition=MatchConditions.IfNotModified)
    assert caught.value.status_code == 412
    stale.indexes = ["drugs-v9"]
    with pytest.raises(HttpResponseError) as caught:
        indexes.create_or_update_alias(stale)
    assert caught.value.status_code == 400


def test_search_accepts_bearer_and_rejects_bad_key(emu: AzureEmulator) -> None:
    bearer = SearchIndexClient(emu.url, Cred(emu.token), connection_verify=emu.ca_path, retry_total=0)
    assert bearer.get_alias("drugs").indexes == ["drugs-v2"]
    bad = SearchIndexClient(emu.url, AzureKeyCredential("wrong"), connection_verify=emu.ca_path, retry_total=0)
    with pytest.raises(HttpResponseError) as caught:
        bad.get_alias("drugs")
    assert caught.value.status_code == 403


# -- Authentication and api-version ----------------------------------------------------------------


def test_wrong_bearer_token_is_rejected(emu: AzureEmulator) -> None:
    client = ContainerAppsAPIClient(Cred("not-the-token"), SUB, **_kw(emu))
    with pytest.raises(ClientAuthenticationError) as caught:
        client.container_apps.get(RG, APP)
    assert caught.value.error.code == "InvalidAuthenticationToken"


def test_missing_token_and_missing_api_version(emu: AzureEmulator) -> None:
    path = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.App/containerApps/{APP}"
    no_token = _raw(emu, "GET", path, params={"api-version": "2026-07-01"})
    assert no_token.status_code == 401 and no_token.json()["error"]["code"] == "AuthenticationFailed"
    no_version = _raw(emu, "GET", path, headers={"Authorization": f"Bearer {emu.token}"})
    assert no_version.status_code == 400
    assert no_version.json()["error"]["code"] == "MissingApiVersionParameter"
    assert no_version.headers["Content-Type"].startswith("application/json")
    assert no_version.headers["x-ms-request-id"] and no_version.headers["x-ms-correlation-request-id"]


# -- Faults ----------------------------------------------------------------------------------------


def test_fail_next_403_names_client_action_and_scope(emu: AzureEmulator, aca: ContainerAppsAPIClient) -> None:
    emu.faults.fail_next(1, 403, method="PATCH")
    aca.container_apps.get(RG, APP)
    with pytest.raises(HttpResponseError) as caught:
        aca.container_apps.begin_update(RG, APP, _traffic_patch((V1, 100), (V2, 0)))
    error = caught.value.error
    assert caught.value.status_code == 403 and error.code == "AuthorizationFailed"
    assert (
        "does not have authorization to perform action 'Microsoft.App/containerApps/write' over scope "
        f"'/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.App/containerApps/{APP}'" in error.message
    )
    assert "with object id" in error.message
    assert aca.container_apps.get(RG, APP).latest_revision_name == V2


@pytest.mark.parametrize(
    ("status", "exception", "code"),
    [
        (404, ResourceNotFoundError, "ResourceNotFound"),
        (409, ResourceExistsError, "ContainerAppOperationInProgress"),
        (429, HttpResponseError, "TooManyRequests"),
        (500, HttpResponseError, "InternalServerError"),
    ],
)
def test_fail_next_status_codes(
    emu: AzureEmulator, aca: ContainerAppsAPIClient, status: int, exception: type[HttpResponseError], code: str
) -> None:
    emu.faults.fail_next(2, status, path_contains="/revisions")
    for _ in range(2):
        with pytest.raises(exception) as caught:
            list(aca.container_apps_revisions.list_revisions(RG, APP))
        assert caught.value.status_code == status and caught.value.error.code == code
    if status == 429:
        assert caught.value.response.headers["Retry-After"] == "1"
    assert len(list(aca.container_apps_revisions.list_revisions(RG, APP))) == 2


def test_fail_next_with_custom_code_and_retry_after(emu: AzureEmulator, aca: ContainerAppsAPIClient) -> None:
    emu.faults.fail_next(1, 429, code="Throttled", message="slow down", retry_after=17)
    with pytest.raises(HttpResponseError) as caught:
        aca.container_apps.get(RG, APP)
    assert (caught.value.error.code, caught.value.error.message) == ("Throttled", "slow down")
    assert caught.value.response.headers["Retry-After"] == "17"


def test_latency_until_cleared(emu: AzureEmulator, aca: ContainerAppsAPIClient) -> None:
    emu.faults.latency(0.3, method="GET")
    started = time.perf_counter()
    aca.container_apps.get(RG, APP)
    assert time.perf_counter() - started >= 0.3
    emu.faults.clear()
    started = time.perf_counter()
    aca.container_apps.get(RG, APP)
    assert time.perf_counter() - started < 0.25


def test_lro_fail_raises_with_code_and_keeps_traffic(emu: AzureEmulator, aca: ContainerAppsAPIClient) -> None:
    emu.faults.lro_fail(code="ContainerAppProvisioningFailed", message="revision failed to provision")
    poller = aca.container_apps.begin_update(RG, APP, _traffic_patch((V1, 100), (V2, 0)))
    with pytest.raises(HttpResponseError) as caught:
        poller.result()
    assert caught.value.error.code == "ContainerAppProvisioningFailed"
    assert emu.traffic(SUB, RG, APP) == {V1: 0, V2: 100}
    assert aca.container_apps.get(RG, APP).provisioning_state == "Failed"


def test_lro_never_finish_stays_in_progress(emu: AzureEmulator, aca: ContainerAppsAPIClient) -> None:
    emu.faults.lro_never_finish(path_contains=APP)
    poller = aca.container_apps.begin_update(RG, APP, _traffic_patch((V1, 100), (V2, 0)), polling=False)
    status_url = poller.polling_method()._initial_response.http_response.headers["Azure-AsyncOperation"]
    for _ in range(3):
        body = requests.get(
            status_url, verify=emu.ca_path, timeout=5, headers={"Authorization": f"Bearer {emu.token}"}
        ).json()
        assert body["status"] == "InProgress"
    assert aca.container_apps.get(RG, APP).provisioning_state == "InProgress"
    with pytest.raises(ResourceExistsError):
        aca.container_apps.begin_update(RG, APP, _traffic_patch((V1, 100), (V2, 0)))


def test_lro_never_finish_through_sdk_poller(emu: AzureEmulator, cog: CognitiveServicesManagementClient) -> None:
    emu.faults.lro_never_finish()
    poller = cog.deployments.begin_create_or_update(RG, ACCOUNT, DEPLOYMENT, ROLLBACK_BODY, polling_interval=0.02)
    poller.wait(timeout=0.3)
    assert not poller.done() and poller.status() == "InProgress"
    assert emu.deployment(SUB, RG, ACCOUNT, DEPLOYMENT)["properties"]["provisioningState"] == "Creating"


def test_poll_after_paces_a_client_that_would_wait_5_s_between_polls(emu: AzureEmulator) -> None:
    slow = ContainerAppsAPIClient(Cred(emu.token), SUB, **{**_kw(emu), "polling_interval": 5})
    emu.poll_after(20)
    started = time.monotonic()
    poller = slow.container_apps.begin_update(RG, APP, _traffic_patch((V1, 100), (V2, 0)))
    headers = poller.polling_method()._initial_response.http_response.headers
    poller.result(timeout=30)
    took = time.monotonic() - started
    assert headers["retry-after-ms"] == "20" and "Retry-After" not in headers
    assert took < 2.5, f"{took:.1f} s: the client waited its own 5 s interval"
    emu.poll_after(None)
    unpaced = slow.container_apps.begin_update(RG, APP, _traffic_patch((V1, 0), (V2, 100)), polling=False)
    initial = unpaced.polling_method()._initial_response.http_response.headers
    assert initial["Retry-After"] == "0" and "retry-after-ms" not in initial


# -- Control surface and app health ----------------------------------------------------------------


def test_control_endpoints(emu: AzureEmulator, aca: ContainerAppsAPIClient) -> None:
    state = _raw(emu, "GET", "/_emulator/state").json()
    assert len(state["search"]["aliases"]) == 1
    fault = {"kind": "fail_next", "n": 1, "status": 500, "path_contains": "/containerApps/"}
    assert _raw(emu, "POST", "/_emulator/faults", json=fault).json()["faults"][0]["status"] == 500
    assert _raw(emu, "POST", "/_emulator/faults/clear").status_code == 200
    assert _raw(emu, "POST", "/_emulator/faults", json={"kind": "nope"}).status_code == 400
    aca.container_apps.get(RG, APP)
    added = _raw(
        emu,
        "POST",
        "/_emulator/revisions",
        json={
            "subscription": SUB,
            "resource_group": RG,
            "app": APP,
            "name": f"{APP}--v3",
            "image": "pharmabotacr.azurecr.io/pharmabot:1.5.1",
            "healthy": True,
            "traffic_weight": 20,
        },
    )
    assert added.status_code == 200 and added.json()["properties"]["trafficWeight"] == 20
    assert emu.traffic(SUB, RG, APP) == {V1: 0, V2: 80, f"{APP}--v3": 20}
    logged = _raw(emu, "GET", "/_emulator/requests").json()["requests"]
    assert [r["method"] for r in logged if "containerApps" in r["path"]] == ["GET"]


def test_control_revision_rebalance_scales_existing_split(emu: AzureEmulator) -> None:
    emu.set_revision(SUB, RG, APP, V1, traffic_weight=50)
    assert emu.traffic(SUB, RG, APP) == {V1: 50, V2: 50}
    emu.set_revision(SUB, RG, APP, "v3", traffic_weight=50)
    assert emu.traffic(SUB, RG, APP) == {V1: 25, V2: 25, f"{APP}--v3": 50}


def test_app_health_endpoint(emu: AzureEmulator) -> None:
    healthy = _raw(emu, "GET", f"/_apps/{APP}/{V1}/health/ready")
    assert healthy.status_code == 200 and healthy.json()["status"] == "ok"
    assert _raw(emu, "GET", f"/_apps/{APP}/{V2}/health/ready").status_code == 503
    assert _raw(emu, "GET", f"/_apps/{APP}/{APP}--nope").status_code == 404
    emu.set_revision(SUB, RG, APP, V2, healthy=True)
    assert _raw(emu, "GET", f"/_apps/{APP}/{V2}").json()["status"] == "ok"
