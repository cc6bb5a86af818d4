"""Slack is never on a rollback's critical path: down or rate-limiting, the rollback runs, and the card catches up."""

from __future__ import annotations

import json
import time

import pytest

from bot.domain.kinds import CODE
from bot.domain.rollback_requests import RequestStatus
from bot.domain.tree import FlowState
from bot.services import rollbacks
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.harness.world import ALICE, APPROVERS, BOB, CHANNEL, World

CODE_FLOW = FlowState(CHANNEL, "pharmabot", "prod", True, CODE)


def _card(world: World, ts: str) -> str:
    return json.dumps(world.slack.message(CHANNEL, ts))


def test_with_slack_unreachable_from_the_approval_on_a_rollback_still_runs_and_its_card_catches_up(
    world: World,
) -> None:
    deps = world.runtime.deps
    request = rollbacks.open_request(deps, state=CODE_FLOW, reason="v2 answers 500", requester_id=ALICE)
    ts = request.message_ts or ""
    # The app has served Slack before (Bolt checked its token then), and Bob's membership was looked up a
    # moment ago (the directory keeps it for a minute). Then Slack goes away, before Bob clicks Approve.
    assert world.slash(BOB, "help").status_code == 200
    deps.directory.user(BOB), deps.directory.usergroup_members(APPROVERS)
    world.slack.unreachable()
    assert world.click(BOB, ts, SlackId.approve.value, encode_request_ref(request.id)).status_code == 200
    world.wait(lambda: not deps.requests.get(request.id).status.in_flight, what="the rollback finishes", timeout=30)
    done = deps.requests.get(request.id)
    assert done.status is RequestStatus.succeeded, done.result
    assert [s["name"] for s in done.result["steps"]] == ["shift traffic", "verify traffic", "health check"]
    assert world.traffic() == {"pharmabot-prod--v1": 100, "pharmabot-prod--v2": 0}
    assert "Waiting for approval" in _card(world, ts)  # Slack has heard nothing yet
    world.slack.unreachable(False)
    world.wait(lambda: "Succeeded in" in _card(world, ts), what="the card catches up", timeout=40)
    world.wait(lambda: "Rollback verified" in json.dumps(world.slack.thread(CHANNEL, ts)), what="thread", timeout=40)


def test_a_429_on_the_approved_card_update_does_not_delay_the_execution(world: World, db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("timing against Slack does not depend on the database; run once")
    deps = world.runtime.deps
    request = rollbacks.open_request(deps, state=CODE_FLOW, reason="v2 answers 500", requester_id=ALICE)
    ts = request.message_ts or ""
    world.slack.fail_next("chat.update", "ratelimited", retry_after=10)
    started = time.monotonic()
    assert world.click(BOB, ts, SlackId.approve.value, encode_request_ref(request.id)).status_code == 200
    world.wait(lambda: deps.requests.get(request.id).status is RequestStatus.succeeded, what="succeeded", timeout=30)
    assert time.monotonic() - started < 8  # well inside the Retry-After: nothing waited for Slack
    world.wait(lambda: "Succeeded in" in _card(world, ts), what="the card catches up", timeout=30)
    updates = world.slack.calls_to("chat.update")
    assert updates[0].error == "ratelimited"
    assert all(later.at - updates[0].at >= 9.5 for later in updates[1:])  # Retry-After honoured
