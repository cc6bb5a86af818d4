"""Azure faults during execution, acks under a slow Azure, and reconciliation after a crash."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bot.domain.kinds import CODE
from bot.domain.rollback_requests import RequestStatus, RollbackRequest
from bot.domain.tree import FlowState
from bot.services import rollbacks
from bot.services.execution import claim_due
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.e2e.flow import selected
from tests.harness.world import ALICE, BOB, CHANNEL, RG, SUB, World

CODE_FLOW = FlowState(CHANNEL, "pharmabot", "prod", True, CODE)


def _approve_and_wait(world: World) -> tuple[int, str]:
    request = rollbacks.open_request(world.runtime.deps, state=CODE_FLOW, reason="bad deploy", requester_id=ALICE)
    world.click(BOB, request.message_ts, SlackId.approve.value, encode_request_ref(request.id))
    ts = request.message_ts or ""

    def card_final() -> bool:
        text = json.dumps(world.slack.message(CHANNEL, ts)["blocks"])
        return "Failed after" in text or "Succeeded in" in text

    world.wait(card_final, what="final card", timeout=20)
    return request.id, ts


@pytest.mark.parametrize(
    ("status", "kwargs", "expected_status", "message"),
    [
        (403, {}, RequestStatus.failed, "Microsoft.App/containerApps/write"),
        (404, {}, RequestStatus.failed, "pharmabot-prod"),
        (409, {}, RequestStatus.failed, "in progress"),
        (429, {"retry_after": 1}, RequestStatus.succeeded, ""),
        (500, {}, RequestStatus.succeeded, ""),
    ],
)
def test_azure_faults_during_execution(
    world: World, status: int, kwargs: dict, expected_status: RequestStatus, message: str
) -> None:
    world.azure.faults.fail_next(1, status, method="PATCH", path_contains="containerApps/pharmabot-prod", **kwargs)
    request_id, ts = _approve_and_wait(world)
    request = world.runtime.deps.requests.get(request_id)
    assert request.status is expected_status, request.result
    card = json.dumps(world.slack.message(CHANNEL, ts)["blocks"])
    if expected_status is RequestStatus.failed:
        assert message in str(request.result["error"])
        assert "Failed after" in card and "Traceback" not in card
        assert world.traffic()["pharmabot-prod--v2"] == 100
    else:
        assert "Succeeded in" in card
        assert world.traffic() == {"pharmabot-prod--v1": 100, "pharmabot-prod--v2": 0}
    world.wait(lambda: len(world.slack.thread(CHANNEL, ts)) > 1, what="thread message")
    assert world.runtime.deps.requests.find_in_flight(request.target) is None


def test_lro_that_never_finishes_fails_within_the_bound(db_url: str, tmp_path: Path) -> None:
    world = World.start(db_url, tmp_path, azure_kwargs={"lro_timeout": 1.0})  # a short bound: the same rule
    try:
        world.azure.faults.lro_never_finish(method="PATCH", path_contains="containerApps/pharmabot-prod")
        started = time.monotonic()
        request_id, _ = _approve_and_wait(world)
        request = world.runtime.deps.requests.get(request_id)
        assert request.status is RequestStatus.failed
        assert "still running" in request.result["error"]
        assert time.monotonic() - started < 11
    finally:
        world.close()


def test_every_interaction_is_acked_within_3s_with_azure_slowed_to_5s(world: World, db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("ack timing does not depend on the database; run once")
    world.azure.faults.latency(5.0)
    started = time.monotonic()
    assert world.slash(ALICE, "").status_code == 200
    view = world.wait_view(SlackId.flow_target_view.value)
    values = {
        **selected(SlackId.target_block, SlackId.target_select, "pharmabot/prod"),
        **selected(SlackId.emergency_block, SlackId.emergency_radio, "yes", "radio_buttons"),
    }
    t0 = time.monotonic()
    response = world.submit(ALICE, view, values)
    assert response.status_code == 200 and time.monotonic() - t0 < 3.0
    assert "Reading live state" in response.text  # the loading view, while Azure takes its time
    world.azure.faults.clear()
    opened = rollbacks.open_request(world.runtime.deps, state=CODE_FLOW, reason="slow azure", requester_id=ALICE)
    world.azure.faults.latency(5.0)
    t0 = time.monotonic()
    click = world.click(BOB, opened.message_ts, SlackId.approve.value, encode_request_ref(opened.id))
    assert click.status_code == 200 and time.monotonic() - t0 < 3.0
    assert time.monotonic() - started < 30
    world.azure.faults.clear()
    # The approval itself completes once Azure answers (slowly): it was acked, not dropped.
    world.wait(
        lambda: world.runtime.deps.requests.get(opened.id).status is RequestStatus.succeeded,
        what="slow approval completes",
        timeout=60,
    )


def _restart_and_claim(world: World) -> list[int]:
    """Another replica starts: its claim loop's first tick runs what is claimable (here, synchronously)."""
    restarted = world.replica()
    try:
        taken = claim_due(restarted.deps)
        restarted.pool.wait_idle(time.monotonic() + 30)
        return taken
    finally:
        restarted.close()


def _approved(world: World) -> RollbackRequest:
    deps = world.runtime.deps
    request = rollbacks.open_request(deps, state=CODE_FLOW, reason="bad deploy", requester_id=ALICE)
    return deps.requests.transition(
        request.id,
        from_status=RequestStatus.pending,
        to_status=RequestStatus.approved,
        version=request.version,
        approver_id=BOB,
    )


def test_a_crash_after_the_traffic_moved_is_resumed_by_verifying_not_rewriting(world: World) -> None:
    deps = world.runtime.deps
    approved = _approved(world)
    claimed = deps.requests.claim(approved.id, replica="replica-that-dies", lease_seconds=2)
    assert claimed is not None and claimed.claims == 1
    desired = deps.kinds.decode_plan(approved.plan).desired
    assert desired is not None
    world.azure.set_traffic(SUB, RG, "pharmabot-prod", desired.rules.to_json())  # the write the dying bot made
    world.azure.requests.reset()
    # ...and here the process died, before it recorded the outcome. Another replica leaves it alone while the
    # lease runs; once it has run out, it resumes: live state is as planned, so it verifies and writes nothing.
    assert _restart_and_claim(world) == []
    world.wait(lambda: deps.requests.claimable() == [approved.id], what="the lease runs out", timeout=10)
    assert _restart_and_claim(world) == [approved.id]
    done = deps.requests.get(approved.id)
    assert done.status is RequestStatus.succeeded and done.claims == 2, done.result
    assert world.azure.requests.matching(method="PATCH") == []
    assert done.result["steps"][0]["name"] == "already applied"
    events = [e.event for e in deps.audit.list(request_id=approved.id)]
    assert events.count("execution.resumed") == 1 and events.count("execution.executed") == 1
    assert deps.requests.find_in_flight(approved.target) is None
    world.wait(lambda: "Succeeded" in json.dumps(world.slack.message(CHANNEL, approved.message_ts or "")), what="card")


def test_an_approval_whose_replica_died_before_claiming_is_executed_by_another(world: World) -> None:
    deps = world.runtime.deps
    approved = _approved(world)  # ...and the approving replica died before it started the execution
    world.azure.requests.reset()
    assert _restart_and_claim(world) == [approved.id]
    done = deps.requests.get(approved.id)
    assert done.status is RequestStatus.succeeded, done.result
    assert len(world.azure.requests.matching(method="PATCH", path_contains="containerApps/pharmabot-prod")) == 1
    assert world.traffic() == {"pharmabot-prod--v1": 100, "pharmabot-prod--v2": 0}


def test_a_resumed_execution_never_overwrites_what_someone_else_changed(world: World) -> None:
    deps = world.runtime.deps
    approved = _approved(world)
    assert deps.requests.claim(approved.id, replica="replica-that-dies", lease_seconds=0.5) is not None
    hand_moved = [
        {"revisionName": "pharmabot-prod--v2", "weight": 50},
        {"revisionName": "pharmabot-prod--v1", "weight": 50},
    ]
    world.azure.set_traffic(SUB, RG, "pharmabot-prod", hand_moved)  # someone acts by hand meanwhile
    world.wait(lambda: deps.requests.claimable() == [approved.id], what="the lease runs out", timeout=10)
    world.azure.requests.reset()
    assert _restart_and_claim(world) == [approved.id]
    done = deps.requests.get(approved.id)
    assert done.status is RequestStatus.failed and "changed by someone else" in done.result["error"]
    assert world.azure.requests.matching(method="PATCH") == []
    assert world.traffic() == {"pharmabot-prod--v1": 50, "pharmabot-prod--v2": 50}
