"""Read snapshots: one Azure call per resource within a snapshot, shared across threads; none outside."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.adapters.azure.clients import AzureClients
from bot.adapters.azure.container_apps import AzureContainerAppsApi
from bot.adapters.azure.snapshot import read_snapshot
from bot.config import AzureConfig
from bot.domain.azure import ContainerAppRef
from bot.domain.traffic import TrafficRules
from bot.errors import AzureNotFoundError
from sandbox.emulators.azure import DEMO_ESTATE_PATH, AzureEmulator

SUB, RG = "00000000-0000-0000-0000-000000000001", "pharmabot-rg"
PROD = ContainerAppRef(SUB, RG, "pharmabot-prod")


@pytest.fixture
def emu() -> Iterator[AzureEmulator]:
    with AzureEmulator(estate=DEMO_ESTATE_PATH) as e:
        yield e


def _api(emu: AzureEmulator) -> AzureContainerAppsApi:
    cfg = AzureConfig(arm_endpoint=emu.url, ca_bundle=emu.ca_path, credential="emulator")
    return AzureContainerAppsApi(clients=AzureClients(cfg, polling_interval=0, retry_total=0))


def _gets(emu: AzureEmulator) -> int:
    return len(emu.requests.matching(method="GET", path_contains="containerApps/pharmabot-prod"))


def test_reads_repeat_outside_a_snapshot_and_not_inside(emu: AzureEmulator) -> None:
    api = _api(emu)
    api.get_app(PROD)
    api.get_app(PROD)
    outside = _gets(emu)
    emu.requests.reset()
    with read_snapshot():
        first = api.get_app(PROD)
        second = _api(emu).get_app(PROD)  # another adapter instance, same resource: shared
        with read_snapshot():  # nested: the same snapshot
            api.list_revisions(PROD)
    assert first == second
    assert outside == 2 * _gets(emu)


def test_concurrent_identical_reads_make_one_call_and_errors_are_shared(emu: AzureEmulator) -> None:
    api = _api(emu)
    emu.faults.latency(0.2)
    with read_snapshot(), ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(contextvars.copy_context().run, api.list_revisions, PROD) for _ in range(8)]
        results = [f.result() for f in futures]
    emu.faults.clear()
    assert len(emu.requests.matching(method="GET", path_contains="revisions")) == 1
    assert all(r == results[0] for r in results) and results[0] is not results[1]  # each gets its own list
    missing = ContainerAppRef(SUB, RG, "nope")
    emu.requests.reset()
    with read_snapshot():
        for _ in range(3):
            with pytest.raises(AzureNotFoundError):
                api.get_app(missing)
    assert len(emu.requests.matching(path_contains="containerApps/nope")) == 1


def test_writes_are_never_cached(emu: AzureEmulator) -> None:
    api = _api(emu)
    with read_snapshot():
        api.set_traffic(PROD, TrafficRules.named({"pharmabot-prod--v1": 100, "pharmabot-prod--v2": 0}))
        api.set_traffic(PROD, TrafficRules.named({"pharmabot-prod--v1": 0, "pharmabot-prod--v2": 100}))
    assert len(emu.requests.matching(method="PATCH")) == 2
