"""The two-person rule's edges: stale plan, expiry, one in flight, reject/cancel, exactly once across replicas."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import requests

from bot.domain.kinds import CODE, PROMPT, KindName
from bot.domain.rollback_requests import RequestStatus
from bot.domain.tree import FlowState
from bot.errors import RollbackInProgressError
from bot.server import start_in_thread, stop_server
from bot.services import rollbacks
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.harness.world import ALICE, BOB, CAROL, CHANNEL, RG, SUB, World

CODE_FLOW = FlowState(CHANNEL, "pharmabot", "prod", True, CODE)


def _open(world: World, kind: KindName = CODE):  # type: ignore[no-untyped-def]
    state = FlowState(CHANNEL, "pharmabot", "prod", True, kind)
    return rollbacks.open_request(world.runtime.deps, state=state, reason="bad deploy", requester_id=ALICE)


def _card_text(world: World, ts: str) -> str:
    return json.dumps(world.slack.message(CHANNEL, ts)["blocks"])


def _ephemeral(world: World, user: str, needle: str) -> None:
    world.wait(lambda: any(needle in e.get("text", "") for e in world.slack.ephemerals(user_id=user)), what=needle)


def test_stale_plan_is_refused_with_the_new_plan(world: World) -> None:
    request = _open(world)
    world.azure.faults.clear()
    # Someone shifts traffic by hand between the request and the approval.
    world.azure.set_traffic(
        SUB,
        RG,
        "pharmabot-prod",
        [{"revisionName": "pharmabot-prod--v1", "weight": 50}, {"revisionName": "pharmabot-prod--v2", "weight": 50}],
    )
    world.click(BOB, request.message_ts, SlackId.approve.value, encode_request_ref(request.id))
    _ephemeral(world, BOB, "Stale plan")
    refusal = next(e["text"] for e in world.slack.ephemerals(user_id=BOB) if "Stale plan" in e.get("text", ""))
    assert "pharmabot-prod--v2: 100 %" in refusal and "New plan" in refusal and "v1: 50 %" in refusal
    assert world.runtime.deps.requests.get(request.id).status is RequestStatus.cancelled
    world.wait(lambda: "Cancelled" in _card_text(world, request.message_ts), what="card shows Cancelled")
    assert world.traffic() == {"pharmabot-prod--v1": 50, "pharmabot-prod--v2": 50}
    assert "refused.stale_plan" in [e.event for e in world.runtime.deps.audit.list(request_id=request.id)]


def test_expired_request_cannot_be_approved(world: World) -> None:
    request = _open(world)
    world.age(request.id, minutes=16)
    world.click(BOB, request.message_ts, SlackId.approve.value, encode_request_ref(request.id))
    _ephemeral(world, BOB, "expired")
    assert world.runtime.deps.requests.get(request.id).status is RequestStatus.expired
    world.wait(lambda: "Expired" in _card_text(world, request.message_ts), what="card shows Expired")
    assert world.traffic()["pharmabot-prod--v2"] == 100


def test_expiry_sweep_marks_cards_expired(world: World) -> None:
    request = _open(world)
    world.age(request.id, minutes=16)
    expired = rollbacks.expire_due(world.runtime.deps)
    assert [r.id for r in expired] == [request.id]
    world.wait(lambda: "Expired" in _card_text(world, request.message_ts), what="card shows Expired")


def test_one_in_flight_per_target(world: World) -> None:
    first = _open(world)
    with pytest.raises(RollbackInProgressError, match=f"request #{first.id}"):
        _open(world, PROMPT)


def test_reject_and_cancel(world: World) -> None:
    request = _open(world)
    for user, action in ((ALICE, SlackId.approve), (CAROL, SlackId.approve)):  # refused clicks are acked at once
        started = time.monotonic()
        response = world.click(user, request.message_ts, action.value, encode_request_ref(request.id))
        assert response.status_code == 200 and time.monotonic() - started < 1.0
    world.click(CAROL, request.message_ts, SlackId.reject.value, encode_request_ref(request.id))
    _ephemeral(world, CAROL, "Only members of")
    world.click(BOB, request.message_ts, SlackId.cancel.value, encode_request_ref(request.id))
    _ephemeral(world, BOB, "can cancel it")
    world.click(BOB, request.message_ts, SlackId.reject.value, encode_request_ref(request.id))
    why = {SlackId.reject_reason_input.value: {"type": "plain_text_input", "value": "not a code problem"}}
    world.submit(BOB, world.wait_view(SlackId.reject_view.value), {SlackId.reject_reason_block.value: why})
    world.wait(lambda: "Rejected" in _card_text(world, request.message_ts), what="Rejected")
    second = _open(world)  # the slot is free again
    world.slash(ALICE, f"cancel {second.id}")
    world.wait(lambda: world.runtime.deps.requests.get(second.id).status is RequestStatus.cancelled, what="cancelled")
    world.click(BOB, second.message_ts, SlackId.approve.value, encode_request_ref(second.id))
    _ephemeral(world, BOB, "already cancelled")
    assert world.traffic()["pharmabot-prod--v2"] == 100


def test_fifty_concurrent_approvals_on_two_replicas_execute_once(
    world: World, postgres_url: str, tmp_path: Path
) -> None:
    """50 Approve clicks from threads spread over two app instances sharing one PostgreSQL."""
    replica = world.replica()
    server, replica_url = start_in_thread(replica)
    try:
        request = _open(world)
        world.azure.requests.reset()
        bodies = [
            world.factory.block_action_message(
                BOB, CHANNEL, request.message_ts, SlackId.approve.value, encode_request_ref(request.id)
            )
            for _ in range(50)
        ]
        barrier = threading.Barrier(50)
        statuses: list[int] = []

        def click(i: int) -> None:
            barrier.wait()
            r = requests.post(
                (world.url, replica_url)[i % 2] + "/slack/events",
                data=bodies[i].body,
                headers=bodies[i].headers,
                timeout=30,
            )
            statuses.append(r.status_code)

        threads = [threading.Thread(target=click, args=(i,)) for i in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [200] * 50
        world.wait(
            lambda: (
                "execution.executed"
                in [e.event for e in world.runtime.deps.audit.list(request_id=request.id, limit=1000)]
            ),
            what="executed",
            timeout=20,
        )
        assert world.runtime.deps.requests.get(request.id).status is RequestStatus.succeeded
        events = [e.event for e in world.runtime.deps.audit.list(request_id=request.id, limit=1000)]
        assert events.count("execution.executed") == 1
        assert events.count("execution.started") == 1
        assert events.count("request.approved") == 1
        patches = world.azure.requests.matching(method="PATCH", path_contains="containerApps/pharmabot-prod")
        assert len(patches) == 1
        assert world.traffic() == {"pharmabot-prod--v1": 100, "pharmabot-prod--v2": 0}
        # The losing clicks are told the request was already decided (approved, executing or succeeded by then).
        _ephemeral(world, BOB, "is already")
    finally:
        stop_server(server)
        replica.close()


def test_a_card_that_cannot_be_posted_frees_the_slot(world: World) -> None:
    from bot.errors import SlackApiError

    world.slack.fail_next("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError, match="channel_not_found"):
        _open(world)
    request = world.runtime.deps.requests.list_recent(limit=1)[0]
    assert request.status is RequestStatus.cancelled and "could not be posted" in request.result["note"]
    assert _open(world).status is RequestStatus.pending  # the slot is free for the next attempt
