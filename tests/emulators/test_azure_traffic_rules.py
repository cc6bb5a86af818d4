"""The emulator keeps traffic rules as Azure does (labels, latestRevision); partial failures and stale reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.appcontainers.models import ContainerApp, TrafficWeight
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.search.documents.indexes import SearchIndexClient
from azure.search.documents.indexes.models import SearchAlias

from sandbox.emulators.azure import AzureEmulator
from tests.emulators.test_azure_emulator import Cred

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg"
APP = "app"
V1, V2, V3 = f"{APP}--v1", f"{APP}--v2", f"{APP}--v3"
RULES = [
    {"latestRevision": True, "weight": 60},
    {"revisionName": "v2", "weight": 30, "label": "blue"},
    {"revisionName": "v1", "weight": 10},
    {"revisionName": "v1", "weight": 0, "label": "stable"},
]
ESTATE: dict[str, Any] = {
    "subscription": SUB,
    "resource_group": RG,
    "container_apps": [
        {
            "name": APP,
            "revisions_mode": "Multiple",
            "revisions": [
                {"name": "v1", "image": "acr.io/app:1", "created": "-3h"},
                {"name": "v2", "image": "acr.io/app:2", "created": "-2h"},
                {"name": "v3", "image": "acr.io/app:3", "created": "-1h"},
            ],
            "traffic": RULES,
        }
    ],
    "openai_accounts": [
        {
            "name": "oai",
            "deployments": [{"name": "dep", "model": "gpt-4o", "version": "2024-08-06", "since": "-2h"}],
            "models": [{"name": "gpt-4o", "version": "2024-08-06"}, {"name": "gpt-4o", "version": "2024-05-13"}],
        }
    ],
    "search": {"indexes": {"docs-v1": 10, "docs-v2": 12}, "aliases": {"docs": "docs-v2"}},
}
FULL = [
    {"latestRevision": True, "weight": 60},
    {"revisionName": V2, "weight": 30, "label": "blue"},
    {"revisionName": V1, "weight": 10},
    {"revisionName": V1, "weight": 0, "label": "stable"},
]


@pytest.fixture
def emu() -> Iterator[AzureEmulator]:
    with AzureEmulator(estate=ESTATE) as emulator:
        yield emulator


def _kw(emu: AzureEmulator) -> dict[str, Any]:
    return {"base_url": emu.url, "connection_verify": emu.ca_path, "polling_interval": 0, "retry_total": 0}


@pytest.fixture
def aca(emu: AzureEmulator) -> ContainerAppsAPIClient:
    return ContainerAppsAPIClient(Cred(emu.token), SUB, **_kw(emu))


def _patch(*rules: TrafficWeight) -> ContainerApp:
    return ContainerApp({"properties": {"configuration": {"ingress": {"traffic": list(rules)}}}})


def test_estate_rule_list_is_served_whole_with_labels_and_latest(
    emu: AzureEmulator, aca: ContainerAppsAPIClient
) -> None:
    assert emu.traffic_rules(SUB, RG, APP) == FULL
    assert emu.traffic(SUB, RG, APP) == {V1: 10, V2: 30, V3: 60}
    got = aca.container_apps.get(RG, APP).configuration.ingress.traffic
    assert [(t.revision_name, t.latest_revision, t.weight, t.label) for t in got] == [
        (None, True, 60, None),
        (V2, None, 30, "blue"),
        (V1, None, 10, None),
        (V1, None, 0, "stable"),
    ]


def test_a_new_revision_takes_the_latest_revision_rule(emu: AzureEmulator) -> None:
    emu.set_revision(SUB, RG, APP, "v4", image="acr.io/app:4")
    assert emu.traffic(SUB, RG, APP) == {V1: 10, V2: 30, V3: 0, f"{APP}--v4": 60}
    assert emu.traffic_rules(SUB, RG, APP) == FULL


def test_rebalance_keeps_forms_and_labels(emu: AzureEmulator) -> None:
    emu.set_revision(SUB, RG, APP, "v1", traffic_weight=50)
    rules = emu.traffic_rules(SUB, RG, APP)
    assert [(r.get("latestRevision"), r.get("revisionName"), r.get("label")) for r in rules] == [
        (True, None, None),
        (None, V2, "blue"),
        (None, V1, None),
        (None, V1, "stable"),
    ]
    assert emu.traffic(SUB, RG, APP)[V1] == 50 and sum(r["weight"] for r in rules) == 100


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            [
                TrafficWeight(revision_name=V1, weight=50, label="x"),
                TrafficWeight(revision_name=V2, weight=50, label="x"),
            ],
            "used by more than one",
        ),
        ([TrafficWeight(revision_name=V1, latest_revision=True, weight=100)], "both revisionName and latestRevision"),
    ],
)
def test_invalid_rule_lists_are_refused(aca: ContainerAppsAPIClient, rules: list[TrafficWeight], message: str) -> None:
    with pytest.raises(HttpResponseError) as caught:
        aca.container_apps.begin_update(RG, APP, _patch(*rules))
    assert caught.value.status_code == 400 and message in caught.value.error.message


def test_set_traffic_helper_validates_like_a_patch(emu: AzureEmulator) -> None:
    emu.set_traffic(SUB, RG, APP, [{"revisionName": V1, "weight": 100, "label": "stable"}])
    assert emu.traffic(SUB, RG, APP) == {V1: 100, V2: 0, V3: 0}
    with pytest.raises(Exception, match="must be 100"):
        emu.set_traffic(SUB, RG, APP, [{"revisionName": V1, "weight": 90}])
    assert emu.traffic_rules(SUB, RG, APP) == [{"revisionName": V1, "weight": 100, "label": "stable"}]


def test_lro_fail_applied_lands_the_change_and_reports_failed(emu: AzureEmulator, aca: ContainerAppsAPIClient) -> None:
    emu.faults.lro_fail(code="ContainerAppOperationFailed", applied=True)
    poller = aca.container_apps.begin_update(RG, APP, _patch(TrafficWeight(revision_name=V1, weight=100)))
    with pytest.raises(HttpResponseError) as caught:
        poller.result()
    assert caught.value.error.code == "ContainerAppOperationFailed"
    assert emu.traffic_rules(SUB, RG, APP) == [{"revisionName": V1, "weight": 100}]


def test_stale_read_answers_from_before_the_latest_write(emu: AzureEmulator, aca: ContainerAppsAPIClient) -> None:
    aca.container_apps.begin_update(RG, APP, _patch(TrafficWeight(revision_name=V1, weight=100))).result()
    emu.faults.stale_read(1, path_contains="containerApps/app")
    stale = aca.container_apps.get(RG, APP).configuration.ingress.traffic
    fresh = aca.container_apps.get(RG, APP).configuration.ingress.traffic
    assert len(stale) == 4 and [(t.revision_name, t.weight) for t in fresh] == [(V1, 100)]


def test_stale_read_of_a_deployment_and_an_alias(emu: AzureEmulator) -> None:
    cog = CognitiveServicesManagementClient(Cred(emu.token), SUB, **_kw(emu))
    body = {
        "sku": {"name": "Standard", "capacity": 1},
        "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-05-13"}},
    }
    cog.deployments.begin_create_or_update(RG, "oai", "dep", body).result()
    indexes = SearchIndexClient(emu.url, AzureKeyCredential(emu.token), connection_verify=emu.ca_path, retry_total=0)
    indexes.create_or_update_alias(SearchAlias(name="docs", indexes=["docs-v1"]))
    emu.faults.stale_read(1, path_contains="deployments/dep")
    emu.faults.stale_read(1, path_contains="aliases")
    assert cog.deployments.get(RG, "oai", "dep").properties.model.version == "2024-08-06"
    assert cog.deployments.get(RG, "oai", "dep").properties.model.version == "2024-05-13"
    assert indexes.get_alias("docs").indexes == ["docs-v2"]
    assert indexes.get_alias("docs").indexes == ["docs-v1"]
