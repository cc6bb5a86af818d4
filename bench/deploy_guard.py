"""The deploy guard's own cost: its wall time against the raw SDK calls a guarded deploy needs, in one run.

Both sides deploy a new revision of ``pharmabot-prod`` in the Azure emulator (steps 5, 25, 100; zero holds
and intervals; the emulator takes two reads to provision a revision) and end with 100 % on it:

  floor = raw azure-mgmt-appcontainers + requests: get the app; begin_update creating the revision (template
          + traffic, new at 0 %).result(); get_revision until provisioned and running; a health GET on its own
          URL; per step: begin_update(traffic).result(), get_revision, a health GET
  guard = bot.services.deploy.guard.guarded_change over AzureContainerAppsApi and RequestsHealthProbe (the
          same calls plus what it reads to stay exact: the revision list, the template before the PATCH)

Rounds interleave floor and guard so machine noise hits both; each round starts from the same rule list.
Prints medians, and as the last line the median ratio guard/floor.

    .venv/bin/python bench/deploy_guard.py [--runs 15]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.appcontainers import models as m

from bot.adapters.azure.clients import AzureClients
from bot.adapters.azure.container_apps import AzureContainerAppsApi
from bot.adapters.http_health import RequestsHealthProbe
from bot.config import AzureConfig
from bot.domain.azure import ContainerAppRef
from bot.domain.deploy import DeployPolicy, TemplateChange
from bot.domain.secrets import SecretText
from bot.services.deploy.guard import GuardPorts, guarded_change
from sandbox.emulators.azure import DEMO_ESTATE_PATH, AzureEmulator

SUB, RG, APP = "00000000-0000-0000-0000-000000000001", "pharmabot-rg", "pharmabot-prod"
STEPS = (5, 25, 100)
START = [{"revisionName": f"{APP}--v1", "weight": 0, "label": "blue"}, {"latestRevision": True, "weight": 100}]


def _floor(raw: ContainerAppsAPIClient, session: requests.Session, emu: AzureEmulator, suffix: str) -> None:
    """What a guarded deploy cannot do without, written straight against the SDK."""
    app = raw.container_apps.get(RG, APP)
    latest = app.latest_revision_name
    new = f"{APP}--{suffix}"
    template = copy.deepcopy(app.as_dict()["properties"]["template"])
    template["containers"][0]["image"] = "acr.io/pharmabot:bench"
    template["revisionSuffix"] = suffix
    serving = [{"revisionName": f"{APP}--v1", "weight": 0, "label": "blue"}, {"revisionName": latest, "weight": 100}]
    body: dict[str, Any] = {"template": template, "configuration": {"ingress": {"traffic": [*serving]}}}
    body["configuration"]["ingress"]["traffic"].append({"revisionName": new, "weight": 0})
    raw.container_apps.begin_update(RG, APP, m.ContainerApp({"properties": body}), polling_interval=0).result()
    while True:
        revision = raw.container_apps_revisions.get_revision(RG, APP, new)
        if revision.properties.provisioning_state == "Provisioned" and revision.properties.running_state == "Running":
            break
    url = f"{emu.url}/_apps/{APP}/{new}/health"
    assert session.get(url, verify=emu.ca_path, timeout=5).status_code == 200
    for weight in STEPS:
        traffic = [
            {"revisionName": f"{APP}--v1", "weight": 0, "label": "blue"},
            {"revisionName": latest, "weight": 100 - weight},
            {"revisionName": new, "weight": weight},
        ]
        if weight == 100:
            traffic = [
                {"revisionName": f"{APP}--v1", "weight": 0, "label": "blue"},
                {"latestRevision": True, "weight": 100},
            ]
        patch = m.ContainerApp({"properties": {"configuration": {"ingress": {"traffic": traffic}}}})
        raw.container_apps.begin_update(RG, APP, patch, polling_interval=0).result()
        raw.container_apps_revisions.get_revision(RG, APP, new)
        assert session.get(url, verify=emu.ca_path, timeout=5).status_code == 200


def _timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    settings = DeployPolicy(steps=STEPS, step_seconds=0, health_attempts=1, health_interval_seconds=0)
    with AzureEmulator(estate=DEMO_ESTATE_PATH) as emu:
        emu.set_revision(SUB, RG, APP, "v2", healthy=True)
        raw = ContainerAppsAPIClient(
            emu.credential, SUB, base_url=emu.url, connection_verify=emu.ca_path, retry_total=0, polling_interval=0
        )
        clients = AzureClients(
            AzureConfig(arm_endpoint=emu.url, ca_bundle=emu.ca_path, credential="emulator"),
            polling_interval=0,
            retry_total=0,
        )
        ref = ContainerAppRef(SUB, RG, APP)
        template = SecretText.plain(emu.url + "/_apps/{app}/{revision}{path}")
        ports = GuardPorts(
            api=AzureContainerAppsApi(clients=clients),
            ref=ref,
            health_url_of=lambda rev: template.format(app=APP, revision=rev.name, path="/health", fqdn=rev.fqdn or ""),
            probe=RequestsHealthProbe(ca_bundle=emu.ca_path),
            telemetry=None,
            clock=lambda: datetime.now(UTC),
            pause=lambda seconds: None,
        )
        session = requests.Session()
        times: dict[str, list[float]] = {"floor": [], "guard": []}
        for run in range(args.runs + 1):  # the first round warms both up (connections, TLS, model classes)
            for side in ("floor", "guard") if run % 2 else ("guard", "floor"):
                emu.set_traffic(SUB, RG, APP, copy.deepcopy(START))
                suffix = f"{side[0]}{run}"
                if side == "floor":
                    elapsed = _timed(lambda s=suffix: _floor(raw, session, emu, s))
                else:
                    elapsed = _timed(
                        lambda s=suffix: _check(
                            guarded_change(
                                ports, TemplateChange(image="acr.io/pharmabot:bench"), suffix=s, settings=settings
                            )
                        )
                    )
                if run:
                    times[side].append(elapsed)
    for side in ("floor", "guard"):
        print(f"{side:<6} median {statistics.median(times[side]) * 1000:8.1f} ms  (n={len(times[side])})")
    ratio = statistics.median(times["guard"]) / statistics.median(times["floor"])
    print(
        f"deploy guard {statistics.median(times['guard']):.3f} s vs raw SDK calls "
        f"{statistics.median(times['floor']):.3f} s: ratio {ratio:.2f}"
    )


def _check(result: Any) -> None:
    if not result.promoted:
        raise SystemExit(f"the guard did not promote: {result.reason}")


if __name__ == "__main__":
    main()
