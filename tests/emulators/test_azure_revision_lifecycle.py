"""The emulator creates a revision on a template PATCH as Container Apps does: ``<app>--<suffix>`` with its own
FQDN, Provisioning then Running over reads, latestRevision resolution; health is scriptable per revision and an
image named "bad" starts but fails its health checks."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
import requests
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.appcontainers.models import ContainerApp

from sandbox.emulators.azure import AzureEmulator
from tests.emulators.test_azure_traffic_rules import APP, ESTATE, RG, SUB, V3


@pytest.fixture
def emu() -> Iterator[AzureEmulator]:
    with AzureEmulator(copy.deepcopy(ESTATE)) as emulator:
        yield emulator


def _client(emu: AzureEmulator) -> ContainerAppsAPIClient:
    return ContainerAppsAPIClient(emu.credential, SUB, **emu.client_kwargs())


def _create(emu: AzureEmulator, suffix: str, image: str) -> None:
    client = _client(emu)
    template = client.container_apps.get(RG, APP).as_dict()["properties"]["template"]
    template["containers"][0]["image"] = image
    template["revisionSuffix"] = suffix
    traffic = [{"revisionName": V3, "weight": 100}, {"revisionName": f"{APP}--{suffix}", "weight": 0}]
    body = {"properties": {"template": template, "configuration": {"ingress": {"traffic": traffic}}}}
    client.container_apps.begin_update(RG, APP, ContainerApp(body)).result()


def _health(emu: AzureEmulator, revision: str) -> int:
    return requests.get(f"{emu.url}/_apps/{APP}/{revision}/health/ready", verify=emu.ca_path, timeout=5).status_code


def test_a_template_patch_creates_a_revision_that_provisions_then_runs_and_becomes_the_latest(
    emu: AzureEmulator,
) -> None:
    _create(emu, "new1", "acr.io/app:4")
    client = _client(emu)
    name = f"{APP}--new1"
    app = client.container_apps.get(RG, APP)
    assert app.latest_revision_name == name
    first = client.container_apps_revisions.get_revision(RG, APP, name)
    assert first.properties.provisioning_state == "Provisioning" and first.properties.running_state == "Activating"
    assert first.properties.fqdn.startswith(f"{name}.")
    assert _health(emu, name) == 503  # not running yet
    second = client.container_apps_revisions.get_revision(RG, APP, name)
    assert second.properties.provisioning_state == "Provisioned" and second.properties.running_state == "Running"
    assert _health(emu, name) == 200
    # The new revision got 0 %: a latestRevision rule would now resolve to it.
    assert emu.traffic(SUB, RG, APP)[name] == 0
    emu.set_traffic(SUB, RG, APP, [{"latestRevision": True, "weight": 100}])
    assert emu.traffic(SUB, RG, APP)[name] == 100


def test_a_bad_image_runs_degraded_and_answers_503(emu: AzureEmulator) -> None:
    _create(emu, "bad1", "acr.io/app:4-bad")
    client = _client(emu)
    name = f"{APP}--bad1"
    for _ in range(2):
        revision = client.container_apps_revisions.get_revision(RG, APP, name)
    assert revision.properties.provisioning_state == "Provisioned"
    assert revision.properties.health_state == "Unhealthy" and revision.properties.running_state == "Degraded"
    assert _health(emu, name) == 503


def test_health_is_scriptable_per_revision_even_before_it_exists(emu: AzureEmulator) -> None:
    name = f"{APP}--s1"
    answer = requests.post(
        f"{emu.url}/_emulator/health",
        json={"app": APP, "revision": "s1", "statuses": [200, 503]},
        verify=emu.ca_path,
        timeout=5,
    )
    assert answer.status_code == 200 and answer.json()["revision"] == name
    _create(emu, "s1", "acr.io/app:4")
    assert [_health(emu, name) for _ in range(3)] == [200, 503, 503]  # the last one repeats
    emu.script_health(APP, name, [])
    assert _health(emu, name) == 503  # the script ended: the revision's own state (still provisioning)
    bad = requests.post(f"{emu.url}/_emulator/health", json={"app": APP}, verify=emu.ca_path, timeout=5)
    assert bad.status_code == 400
