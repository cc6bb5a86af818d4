"""An unlucky deploy: Azure failing at each write, Slack down, a health endpoint behind a secret key, a deploy
process that dies holding the slot."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.domain.deploy import DeployProgress, DeployState, ExitCode
from bot.domain.leases import LeasePolicy
from bot.domain.releases import ReleaseStatus
from bot.domain.slots import HolderKind
from bot.errors import RollbackInProgressError
from tests.deploy.support import (
    APP,
    RULES,
    TARGET,
    V1,
    V2,
    azure_writes,
    deploy_config,
    deploy_world,
    prepare,
    rules,
    run_deploy,
)
from tests.harness.world import DEPLOYS, World, started_world

__all__ = ["deploy_world"]
RESTORED = [{"revisionName": V1, "weight": 0, "label": "blue"}, {"revisionName": V2, "weight": 100, "label": "green"}]


def test_a_creating_patch_that_fails_leaves_traffic_untouched_and_exits_2(deploy_world: World) -> None:
    world = deploy_world
    prepare(world)
    world.azure.faults.lro_fail(method="PATCH", path_contains="containerApps/pharmabot-prod")
    report = run_deploy(world, "acr.io/pharmabot:1.6.0", suffix="nope")
    assert report.exit_code is ExitCode.could_not_run, report.message
    assert rules(world) == RULES  # the latestRevision rule untouched: nothing moved
    assert f"{APP}--nope" not in world.traffic()


def test_a_creating_patch_that_landed_then_failed_is_rolled_back(deploy_world: World) -> None:
    world = deploy_world
    prepare(world)
    world.azure.faults.lro_fail(method="PATCH", path_contains="containerApps/pharmabot-prod", applied=True)
    report = run_deploy(world, "acr.io/pharmabot:1.6.0", suffix="landed")
    assert report.exit_code is ExitCode.rolled_back, report.message
    assert rules(world) == RESTORED and world.traffic()[f"{APP}--landed"] == 0


def test_azure_refusing_a_step_rolls_back_from_that_step(deploy_world: World) -> None:
    world = deploy_world
    prepare(world)

    def at(progress: DeployProgress) -> None:
        if progress.state is DeployState.gating and progress.step == 1:  # step 1's re-check: fail step 2's PATCH
            world.azure.faults.fail_next(1, 400, code="BadRequest", method="PATCH", path_contains="pharmabot-prod")

    report = run_deploy(world, "acr.io/pharmabot:1.6.0", suffix="step2", steps=(5, 25, 100), on_progress=at)
    assert report.exit_code is ExitCode.rolled_back, report.message
    assert rules(world) == RESTORED
    assert world.runtime.deps.releases.get(TARGET, report.release_id).status is ReleaseStatus.bad  # type: ignore[arg-type]


def test_a_restore_that_fails_says_so_loudly_with_the_command_and_exits_2(deploy_world: World) -> None:
    world = deploy_world
    prepare(world)
    world.azure.script_health(APP, f"{APP}--norestore", [200, 503])  # step 1's re-check fails

    def at(progress: DeployProgress) -> None:
        if progress.state is DeployState.canary:  # Azure refuses every write from here on
            world.azure.faults.fail_next(5, 400, code="BadRequest", method="PATCH", path_contains="pharmabot-prod")

    report = run_deploy(world, "acr.io/pharmabot:1.6.0", suffix="norestore", steps=(5, 100), on_progress=at)
    assert report.exit_code is ExitCode.could_not_run
    assert "could NOT be put back" in report.message and "az rest --method patch" in report.message
    assert world.traffic()[f"{APP}--norestore"] == 5  # what is live, as the message says
    assert world.runtime.deps.releases.get(TARGET, report.release_id).status is ReleaseStatus.bad  # type: ignore[arg-type]


def test_with_slack_unreachable_the_deploy_runs_and_promotes(deploy_world: World) -> None:
    world = deploy_world
    prepare(world)
    world.slack.unreachable()
    try:
        report = run_deploy(world, "acr.io/pharmabot:1.6.0", suffix="noslack", steps=(50, 100))
    finally:
        world.slack.unreachable(False)
    assert report.exit_code is ExitCode.promoted, report.message
    assert world.traffic()[f"{APP}--noslack"] == 100


@pytest.fixture
def keyed_world(
    db_url: str, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    monkeypatch.setenv("DEPLOY_HEALTH_KEY", "s3cret-health-key")

    def keyed(data: dict[str, Any]) -> dict[str, Any]:
        data = deploy_config()(data)
        app = data["services"][0]["environments"][0]["container_app"]
        app["health_url"] = app["health_url"] + "?code=${DEPLOY_HEALTH_KEY}"
        return data

    yield from started_world(db_url, tmp_path_factory, config=keyed)


def test_a_health_key_reaches_the_probe_only_never_the_message_the_report_or_the_audit(keyed_world: World) -> None:
    world = keyed_world
    prepare(world)
    world.azure.require_health_code("s3cret-health-key")
    report = run_deploy(world, "acr.io/pharmabot:1.6.0", suffix="keyed")
    assert report.exit_code is ExitCode.promoted, report.message
    world.wait(lambda: any("promoted" in json.dumps(m) for m in world.slack.messages(DEPLOYS)), what="the message")
    shown = json.dumps([report.message, report.evidence, world.slack.messages(DEPLOYS)])
    shown += json.dumps([e.detail for e in world.runtime.deps.audit.list(limit=200)], default=str)
    assert "code=***" in shown and "s3cret-health-key" not in shown


@pytest.fixture
def short_lease_world(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from started_world(
        db_url, tmp_path_factory, config=deploy_config(step_seconds=3), leases=LeasePolicy(seconds=1.0)
    )


def test_a_deploy_keeps_its_slot_past_its_lease_and_a_dead_holder_frees_it_when_the_lease_runs_out(
    short_lease_world: World,
) -> None:
    world = short_lease_world
    prepare(world)
    holds: list[bool] = []

    def at(progress: DeployProgress) -> None:
        if progress.state is DeployState.canary:  # two leases long: only the heartbeat keeps the slot
            time.sleep(2.0)
            try:
                world.runtime.deps.slots.acquire(  # type: ignore[union-attr]
                    TARGET, kind=HolderKind.deploy, ref="intruder", who="cli:other", lease_seconds=5
                )
            except RollbackInProgressError:
                holds.append(True)
            else:
                holds.append(False)

    report = run_deploy(world, "acr.io/pharmabot:1.6.0", suffix="long", steps=(5, 100), on_progress=at)
    assert report.exit_code is ExitCode.promoted and holds and all(holds)
    # A deploy process that died holding the slot: its lease runs out, and the next deploy takes the slot over.
    slots = world.runtime.deps.slots
    assert slots is not None
    slots.acquire(TARGET, kind=HolderKind.deploy, ref="dead", who="cli:ci", lease_seconds=0.5)
    assert run_deploy(world, "acr.io/pharmabot:1.7.0", suffix="blocked").exit_code is ExitCode.refused
    time.sleep(0.7)
    world.azure.requests.reset()
    assert run_deploy(world, "acr.io/pharmabot:1.7.0", suffix="after").exit_code is ExitCode.promoted
    assert azure_writes(world)
