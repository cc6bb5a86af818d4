"""The code kind's plan from live state: default target, explicit choice, Single revision mode."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.adapters.azure.clients import AzureClients
from bot.adapters.azure.container_apps import AzureContainerAppsApi
from bot.adapters.http_health import RequestsHealthProbe
from bot.config import AzureConfig
from bot.domain.azure import ContainerAppRef
from bot.domain.traffic import TrafficRules
from bot.errors import UsageError
from bot.kinds import BoundKind, KindServices
from bot.kinds.code import KIND, CodeHandle, CodeState
from sandbox.emulators.azure import AzureEmulator

SUB, RG = "00000000-0000-0000-0000-000000000001", "rg"


def _estate(mode: str) -> dict:
    return {
        "subscription": SUB,
        "resource_group": RG,
        "container_apps": [
            {
                "name": "app",
                "revisions_mode": mode,
                "revisions": [
                    {
                        "name": "v1",
                        "image": "acr.io/app:1.0",
                        "created": "-5h",
                        "healthy": True,
                        "active": True,
                        "traffic": 0,
                    },
                    {
                        "name": "v2",
                        "image": "acr.io/app:1.1",
                        "created": "-3h",
                        "healthy": True,
                        "active": False,
                        "traffic": 0,
                    },
                    {"name": "v3", "image": "acr.io/app:1.2", "created": "-10m", "healthy": False, "traffic": 100},
                ],
            }
        ],
    }


@pytest.fixture(params=["Multiple", "Single"])
def executor(request: pytest.FixtureRequest) -> Iterator[BoundKind[CodeState]]:
    with AzureEmulator(estate=_estate(request.param)) as emu:
        cfg = AzureConfig(arm_endpoint=emu.url, ca_bundle=emu.ca_path, credential="emulator")
        api = AzureContainerAppsApi(clients=AzureClients(cfg, polling_interval=0, retry_total=0))
        handle = CodeHandle(
            api=api,
            ref=ContainerAppRef(SUB, RG, "app"),
            health_path="/health",
            health_url=emu.url + "/_apps/{app}/{revision}{path}",
        )
        services = KindServices(clock=lambda: datetime.now(UTC), probe=RequestsHealthProbe(ca_bundle=emu.ca_path))
        yield KIND.bind(handle, services)


def test_plan(executor: BoundKind[CodeState]) -> None:
    plan = executor.plan()
    assert plan.choice == "app--v2"  # the newest healthy revision older than the serving one
    assert [c.value for c in plan.choices] == ["app--v2", "app--v1"]
    if plan.executable:
        assert plan.current is not None and plan.desired is not None
        assert plan.current.rules.serving(plan.current.latest) == {"app--v3": 100}
        assert plan.desired.rules == TrafficRules.named({"app--v1": 0, "app--v2": 100, "app--v3": 0})
        assert plan.desired.active == plan.current.active | {"app--v2"}
        assert plan.steps == ("activate app--v2", "shift traffic", "verify traffic", "health check")
        assert (
            plan.commands[0].startswith("az containerapp revision activate")
            and "--revision app--v2" in plan.commands[0]
        )
        assert "is inactive: it is activated first" in " ".join(plan.risks)
        chosen = executor.plan(choice="app--v1")
        assert chosen.desired is not None and "activate app--v1" not in chosen.steps
        assert chosen.desired.rules == TrafficRules.named({"app--v1": 100, "app--v2": 0, "app--v3": 0})
    else:
        assert "Single revision mode" in (plan.blocked_reason or "")
        assert "traffic shift cannot work" in (plan.blocked_reason or "")
        assert plan.commands[0].endswith("--mode multiple") and "revision activate" in plan.commands[1]
    with pytest.raises(UsageError, match="is not a revision traffic can be moved to"):
        executor.plan(choice="app--v9")
