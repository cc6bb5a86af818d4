"""Replays: a captured signed submission or click, re-sent within Slack's 5-minute window, changes nothing.

The bot remembers each delivery (view id, view hash and what was submitted; a click's action_ts, user and
action) in its database, so the replay is refused on every replica, and audited.
"""

from __future__ import annotations

from bot.domain.kinds import CODE
from bot.domain.rollback_requests import RequestStatus
from bot.domain.tree import FlowState
from bot.server import start_in_thread, stop_server
from bot.services import rollbacks
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.e2e.flow import posted_request, walk_to_plan
from tests.harness.world import ALICE, BOB, CHANNEL, World

FLOW = FlowState(CHANNEL, "pharmabot", "prod", True, CODE)


def _reason(text: str) -> dict[str, dict[str, dict[str, str]]]:
    return {SlackId.reason_block.value: {SlackId.reason_input.value: {"type": "plain_text_input", "value": text}}}


def test_a_replayed_modal_submission_opens_no_second_request_on_any_replica(world: World) -> None:
    deps = world.runtime.deps
    plan_view = walk_to_plan(world, "code")
    captured = world.factory.view_submission(ALICE, plan_view, _reason("v2 returns 500s"))
    assert captured.post(world.url).status_code == 200
    first = posted_request(world)
    rollbacks.cancel(deps, request_id=first.id, user_id=ALICE)  # the slot is free: only the replay guard stops it
    replica = world.replica()
    server, url = start_in_thread(replica)
    try:
        for target in (world.url, url, world.url):
            assert captured.post(target).status_code == 200  # answered (Slack would show nothing new)
        world.wait(
            lambda: len([e for e in deps.audit.list() if e.event == "refused.replayed"]) == 3, what="audited replays"
        )
    finally:
        stop_server(server)
        replica.close()
    assert [r.id for r in deps.requests.list_recent(limit=10)] == [first.id]
    replays = [e for e in deps.audit.list() if e.event == "refused.replayed"]
    assert {e.actor for e in replays} == {ALICE}


def test_a_corrected_resubmission_of_the_same_dialog_is_not_a_replay(world: World) -> None:
    plan_view = walk_to_plan(world, "code")
    empty = world.factory.view_submission(ALICE, plan_view, _reason("   "))
    assert "Say briefly why" in empty.post(world.url).text  # the dialog stays open, same view and hash
    world.factory.view_submission(ALICE, plan_view, _reason("v2 returns 500s")).post(world.url)
    assert posted_request(world).reason == "v2 returns 500s"


def test_a_replayed_click_is_refused_as_a_replay(world: World) -> None:
    deps = world.runtime.deps
    request = rollbacks.open_request(deps, state=FLOW, reason="v2 returns 500s", requester_id=ALICE)
    ref = encode_request_ref(request.id)
    click = world.factory.block_action_message(BOB, CHANNEL, request.message_ts or "", SlackId.reject.value, ref)
    assert click.post(world.url).status_code == 200
    world.wait_view(SlackId.reject_view.value)  # the first delivery asks why
    assert click.post(world.url).status_code == 200
    world.wait(lambda: any(e.event == "refused.replayed" for e in deps.audit.list()), what="audited replay")
    assert len(world.slack.views()) == 1  # the replay opened no second dialog
    assert deps.requests.get(request.id).status is RequestStatus.pending
