"""Acks never wait behind Azure: slow work (App Home, status, previews) runs on lanes of its own.

The issue's reproduction: with Azure at 1.5 s per call and 24 App Home opens in flight, `/rollback help`
and an Approve click used to get HTTP 404 after 3 s (no ack), and the request turned approved 14 s later
while the approver believed it had failed. Now both are acknowledged (HTTP 200) within Slack's 3 s, and
the approver sees the outcome on the card.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.domain.kinds import CODE
from bot.domain.rollback_requests import RequestStatus
from bot.domain.tree import FlowState
from bot.services import rollbacks
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.harness.world import ALICE, BOB, CAROL, CHANNEL, World

FLOW = FlowState(CHANNEL, "pharmabot", "prod", True, CODE)
SLACK_ACK_SECONDS = 3.0


def _timed(send: object) -> tuple[int, float]:
    started = time.monotonic()
    response = send()  # type: ignore[operator]
    return response.status_code, time.monotonic() - started


def test_help_and_an_approve_click_are_acked_while_app_home_waits_on_a_slow_azure(world: World, db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("ack timing does not depend on the database; run once")
    request = rollbacks.open_request(world.runtime.deps, state=FLOW, reason="v2 returns 500s", requester_id=ALICE)
    world.azure.faults.latency(1.5)
    openers = [ALICE, BOB, CAROL] * 8  # 24 App Home opens
    with ThreadPoolExecutor(max_workers=len(openers)) as pool:
        homes = [pool.submit(lambda u=u: world.factory.app_home_opened(u).post(world.url)) for u in openers]
        time.sleep(0.5)  # the opens are in: on the old bot every listener thread was now waiting on Azure
        help_status, help_seconds = _timed(lambda: world.slash(ALICE, "help"))
        ref = encode_request_ref(request.id)
        click_status, click_seconds = _timed(lambda: world.click(BOB, request.message_ts or "", SlackId.approve, ref))
        assert [h.result().status_code for h in homes] == [200] * len(openers)
    assert (help_status, click_status) == (200, 200)
    assert help_seconds < SLACK_ACK_SECONDS and click_seconds < SLACK_ACK_SECONDS
    world.slack.wait_for("response_url", lambda c: "Rollback Bot: usage" in json.dumps(c.body))
    # The approver sees the outcome: the card itself says so once the (slow) rollback is done.
    world.wait(
        lambda: "Succeeded in" in json.dumps(world.slack.message(CHANNEL, request.message_ts or "")["blocks"]),
        what="the card saying Succeeded",
        timeout=120,
    )
    assert world.runtime.deps.requests.get(request.id).status is RequestStatus.succeeded
    world.azure.faults.clear()
