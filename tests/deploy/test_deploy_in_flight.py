"""A deploy while it holds: its progress message in the deploy channel, Abort from an approver (on another
replica too) at step 2 rolls back, a non-approver is refused privately; the slot refuses a second deploy and a
rollback request while the deploy runs, and a deploy while a request holds the target."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bot.domain.deploy import DeployProgress, ExitCode
from bot.domain.kinds import CODE
from bot.domain.tree import FlowState
from bot.errors import RollbackInProgressError
from bot.services import rollbacks
from bot.services.deploy.freezes import abort_deploy
from bot.services.deploy.run import DeployReport
from bot.slack.ids import SlackId
from tests.deploy.support import APP, V1, V2, deploy_config, prepare, rules, run_deploy
from tests.harness.world import ALICE, BOB, CAROL, CHANNEL, DEPLOYS, World, started_world

PROD_FLOW = FlowState(CHANNEL, "pharmabot", "prod", True, CODE)


@pytest.fixture
def holding_world(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Each canary step holds 30 s (the gates look at the abort flag every 50 ms meanwhile)."""
    yield from started_world(db_url, tmp_path_factory, config=deploy_config(step_seconds=30))


@pytest.fixture
def stepping_world(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Each canary step holds 4 s: step 1 passes by itself, step 2 is where the approver aborts."""
    yield from started_world(db_url, tmp_path_factory, config=deploy_config(step_seconds=4))


class Background:
    """A deploy running on a thread of its own."""

    def __init__(self, world: World, suffix: str, steps: tuple[int, ...]) -> None:
        self.report: DeployReport | None = None
        self.progress: list[DeployProgress] = []
        self.thread = threading.Thread(target=self._run, args=(world, suffix, steps), daemon=True)
        self.thread.start()

    def _run(self, world: World, suffix: str, steps: tuple[int, ...]) -> None:
        self.report = run_deploy(
            world, "acr.io/pharmabot:1.6.0", suffix=suffix, steps=steps, on_progress=self.progress.append
        )

    def finished(self, timeout: float = 20.0) -> DeployReport:
        self.thread.join(timeout)
        assert self.report is not None, "the deploy did not finish"
        return self.report


def _deploy_message(world: World) -> dict[str, Any]:
    found = [m for m in world.slack.messages(DEPLOYS) if str(m.get("text", "")).startswith("Deploy ")]
    assert found, "no deploy message"
    return found[-1]


def _abort_value(message: dict[str, Any]) -> str:
    for block in message.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("action_id") == SlackId.deploy_abort:
                return str(element["value"])
    raise AssertionError(f"no Abort button: {json.dumps(message.get('blocks'))}")


def test_abort_at_step_2_rolls_back_a_non_approver_is_refused_and_the_message_follows_in_place(
    stepping_world: World,
) -> None:
    world = stepping_world
    prepare(world)
    new = f"{APP}--abort1"
    deploy = Background(world, "abort1", (5, 25, 100))
    world.wait(lambda: world.traffic().get(new) == 25, timeout=20, what="step 2 (25 %)")
    world.wait(lambda: "25 %" in json.dumps(_deploy_message(world)["blocks"]), what="the message at step 2")
    message = _deploy_message(world)
    assert len([m for m in world.slack.messages(DEPLOYS) if str(m.get("text", "")).startswith("Deploy ")]) == 1
    value = _abort_value(message)
    world.click(CAROL, message["ts"], SlackId.deploy_abort, value, channel=DEPLOYS)  # an observer
    world.click(BOB, message["ts"], SlackId.deploy_abort, value, channel=DEPLOYS)  # an approver
    report = deploy.finished()
    assert report.exit_code is ExitCode.rolled_back and report.aborted_by == BOB, report.message
    assert rules(world) == [
        {"revisionName": V1, "weight": 0, "label": "blue"},
        {"revisionName": V2, "weight": 100, "label": "green"},
    ]
    assert world.traffic()[new] == 0
    assert any(p.step == 2 and p.state.value == "rolling back" for p in deploy.progress)  # from step 2
    world.wait(lambda: any("approver" in e.get("text", "") for e in world.slack.ephemerals(user_id=CAROL)))
    events = [e.event for e in world.runtime.deps.audit.list(limit=200)]
    assert "refused.not_approver" in events and "deploy.abort_requested" in events and "deploy.aborted" in events
    world.wait(lambda: bool(world.slack.thread(DEPLOYS, message["ts"])), what="the final state in the thread")
    assert "rolled back" in world.slack.thread(DEPLOYS, message["ts"])[-1]["text"]
    world.wait(lambda: "rolled back" in json.dumps(_deploy_message(world)["blocks"]), what="the final state")
    assert SlackId.deploy_abort not in json.dumps(_deploy_message(world)["blocks"])  # no button once finished


def test_an_abort_asked_on_another_replica_is_honoured(holding_world: World) -> None:
    world = holding_world
    prepare(world)
    new = f"{APP}--abort2"
    deploy = Background(world, "abort2", (5, 100))
    world.wait(lambda: world.traffic().get(new) == 5, timeout=20, what="step 1 (5 %)")
    run_id = int(_abort_value(_deploy_message(world)))
    replica = world.replica()
    try:
        abort_deploy(replica.deps, run_id=run_id, user_id=BOB)
    finally:
        replica.close()
    report = deploy.finished()
    assert report.exit_code is ExitCode.rolled_back and report.aborted_by == BOB
    assert world.traffic()[new] == 0 and world.traffic()[V2] == 100


def test_while_a_deploy_holds_the_slot_a_second_deploy_and_a_rollback_request_are_refused(holding_world: World) -> None:
    world = holding_world
    prepare(world)
    new = f"{APP}--slot1"
    deploy = Background(world, "slot1", (5, 100))
    world.wait(lambda: world.traffic().get(new) == 5, timeout=20, what="step 1 (5 %)")
    second = run_deploy(world, "acr.io/pharmabot:1.7.0", suffix="slot2")
    assert second.exit_code is ExitCode.refused and "deploy" in second.message and "slot1" in second.message
    with pytest.raises(RollbackInProgressError, match="deploy"):
        rollbacks.open_request(world.runtime.deps, state=PROD_FLOW, reason="bad", requester_id=ALICE)
    abort_deploy(world.runtime.deps, run_id=int(_abort_value(_deploy_message(world))), user_id=BOB)
    assert deploy.finished().exit_code is ExitCode.rolled_back
    # The slot is free again.
    request = rollbacks.open_request(world.runtime.deps, state=PROD_FLOW, reason="bad", requester_id=ALICE)
    # …and now the request holds it: a deploy is refused, naming it, before anything reaches Azure.
    world.azure.requests.reset()
    refused = run_deploy(world, "acr.io/pharmabot:1.7.0", suffix="slot3")
    assert refused.exit_code is ExitCode.refused and f"#{request.id}" in refused.message
    assert [r for r in world.azure.requests.snapshot() if r.method != "GET"] == []
