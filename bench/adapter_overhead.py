"""The Azure adapter's overhead over the raw SDK call, against the same local emulator, in one run.

Floor: the raw azure-mgmt-appcontainers calls that the adapter makes (the same HTTP requests):
  read  = container_apps.get + container_apps_revisions.list_revisions      vs  AzureContainerAppsApi.get_app
  write = begin_update(traffic PATCH).result() + list_revisions             vs  AzureContainerAppsApi.set_traffic
Rounds interleave raw and adapter calls so machine noise hits both. Prints medians and p99, and as the
last line the median ratios.

    .venv/bin/python bench/adapter_overhead.py [--reads 300] [--writes 60]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.appcontainers import models as m

from bot.adapters.azure.clients import AzureClients
from bot.adapters.azure.container_apps import AzureContainerAppsApi
from bot.config import AzureConfig
from bot.domain.azure import ContainerAppRef
from bot.domain.traffic import TrafficRules
from sandbox.emulators.azure import DEMO_ESTATE_PATH, AzureEmulator

SUB, RG, APP = "00000000-0000-0000-0000-000000000001", "pharmabot-rg", "pharmabot-prod"
SPLITS = ({f"{APP}--v1": 100, f"{APP}--v2": 0}, {f"{APP}--v1": 0, f"{APP}--v2": 100})


def _time(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _raw_patch(raw: ContainerAppsAPIClient, weights: dict[str, int]) -> None:
    traffic = [m.TrafficWeight(revision_name=n, weight=w) for n, w in weights.items()]
    patch = m.ContainerApp({"properties": {"configuration": {"ingress": {"traffic": traffic}}}})
    raw.container_apps.begin_update(RG, APP, patch, polling_interval=0).result()
    list(raw.container_apps_revisions.list_revisions(RG, APP))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--writes", type=int, default=60)
    args = parser.parse_args()
    with AzureEmulator(estate=DEMO_ESTATE_PATH) as emu:
        raw = ContainerAppsAPIClient(
            emu.credential, SUB, base_url=emu.url, connection_verify=emu.ca_path, retry_total=0, polling_interval=0
        )
        clients = AzureClients(
            AzureConfig(arm_endpoint=emu.url, ca_bundle=emu.ca_path, credential="emulator"),
            polling_interval=0,
            retry_total=0,
        )
        adapter = AzureContainerAppsApi(clients=clients)
        ref = ContainerAppRef(SUB, RG, APP)

        def raw_read() -> None:
            raw.container_apps.get(RG, APP)
            list(raw.container_apps_revisions.list_revisions(RG, APP))

        for _ in range(10):  # warm up both (connections, TLS, model classes)
            raw_read()
            adapter.get_app(ref)
        reads: dict[str, list[float]] = {"raw": [], "adapter": []}
        for _ in range(args.reads):
            reads["raw"].append(_time(raw_read))
            reads["adapter"].append(_time(lambda: adapter.get_app(ref)))
        writes: dict[str, list[float]] = {"raw": [], "adapter": []}
        for i in range(args.writes):
            weights = SPLITS[i % 2]
            writes["raw"].append(_time(lambda w=weights: _raw_patch(raw, w)))
            writes["adapter"].append(
                _time(lambda w=SPLITS[(i + 1) % 2]: adapter.set_traffic(ref, TrafficRules.named(w)))
            )
    for name, series in (("read (get app + revisions)", reads), ("write (traffic PATCH LRO)", writes)):
        for who in ("raw", "adapter"):
            values = series[who]
            print(
                f"{name:<28} {who:<8} median {statistics.median(values) * 1000:7.2f} ms"
                f"  p99 {_p(values, 0.99) * 1000:7.2f} ms  (n={len(values)})"
            )
    read_ratio = statistics.median(reads["adapter"]) / statistics.median(reads["raw"])
    write_ratio = statistics.median(writes["adapter"]) / statistics.median(writes["raw"])
    print(f"adapter/raw SDK median ratio: read {read_ratio:.2f}, write {write_ratio:.2f}")


if __name__ == "__main__":
    main()
