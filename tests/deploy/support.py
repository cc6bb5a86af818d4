"""A world for deploy tests: prod's traffic as a labelled rule list with a latestRevision rule, fast gates."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.domain.deploy import DeployProgress, TemplateChange
from bot.domain.rollback_requests import ServiceEnv
from bot.services.deploy.run import DeployReport, DeployRequest, deploy
from tests.harness.world import PROCESS_POLL_MS, RG, SUB, World, started_world

TARGET = ServiceEnv("pharmabot", "prod")
APP = "pharmabot-prod"
V1, V2 = f"{APP}--v1", f"{APP}--v2"
# What serves before every deploy here: v1 by name at 0 % under label blue, the latest (v2) at 100 % under green.
RULES: list[dict[str, Any]] = [
    {"revisionName": V1, "weight": 0, "label": "blue"},
    {"latestRevision": True, "weight": 100, "label": "green"},
]
FAST = {"step_seconds": 0, "health_attempts": 3, "health_interval_seconds": 0, "ready_timeout_seconds": 20}


def deploy_config(**deploy: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The world's configuration with ``deploy:`` settings on prod (fast gates unless overridden)."""

    def change(data: dict[str, Any]) -> dict[str, Any]:
        data = copy.deepcopy(data)
        data["services"][0]["environments"][0]["deploy"] = {**FAST, **deploy}
        return data

    return change


def prepare(world: World, rules: list[dict[str, Any]] | None = None) -> None:
    """v2 healthy and the latest, serving through ``rules``; the emulator's request log emptied."""
    world.azure.set_revision(SUB, RG, APP, "v2", healthy=True)
    world.azure.set_traffic(SUB, RG, APP, copy.deepcopy(rules or RULES))
    world.azure.requests.reset()


def rules(world: World) -> list[dict[str, Any]]:
    return world.azure.traffic_rules(SUB, RG, APP)


def run_deploy(
    world: World,
    image: str,
    *,
    suffix: str,
    steps: tuple[int, ...] | None = None,
    stop: threading.Event | None = None,
    on_progress: Callable[[DeployProgress], None] | None = None,
    actor: str = "cli:ci",
) -> DeployReport:
    request = DeployRequest(TARGET, TemplateChange(image=image), actor=actor, suffix=suffix, steps=steps)
    return deploy(world.runtime.deps, request, stop=stop, on_progress=on_progress)


def azure_writes(world: World) -> list[Any]:
    """Every write the bot sent to Azure Resource Manager (control and health calls left out)."""
    return [r for r in world.azure.requests.snapshot() if r.method != "GET" and r.path.startswith("/subscriptions/")]


@pytest.fixture
def deploy_world(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from started_world(db_url, tmp_path_factory, config=deploy_config(), poll_after_ms=PROCESS_POLL_MS)
