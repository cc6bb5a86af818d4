"""The end of the dialog and the decision buttons, through the real Bolt app and the Slack fake.

The last step closes the modal and tells the requester privately where the card is (its permalink), with the
Cancel button only they see; Reject asks why in a short dialog and the card says who rejected it and why.
"""

from __future__ import annotations

import json
from typing import Any

from bot.domain.rollback_requests import RequestStatus
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.e2e.flow import posted_request, submit_plan, walk_to_plan
from tests.harness.world import ALICE, BOB, CAROL, CHANNEL, World


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def _reason(text: str) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        SlackId.reject_reason_block.value: {
            SlackId.reject_reason_input.value: {"type": "plain_text_input", "value": text}
        }
    }


def test_the_last_step_closes_the_modal_and_links_the_card_privately(world: World) -> None:
    view = walk_to_plan(world, "code")
    response = submit_plan(world, view, "v2 answers 500")
    assert json.loads(response.text) == {"response_action": "clear"}
    world.wait(lambda: not world.slack.views(), what="the modal closed")
    request = posted_request(world)
    world.wait(lambda: "is posted" in _text(world.slack.ephemerals(user_id=ALICE)), what="the confirmation")
    confirmation = next(e for e in world.slack.ephemerals(user_id=ALICE) if "is posted" in _text(e))
    permalink = f"/archives/{CHANNEL}/p{(request.message_ts or '').replace('.', '')}|open the card>"
    assert permalink in _text(confirmation["blocks"])  # chat.getPermalink's link to the card
    # Cancel is offered to the requester only: in their private confirmation, not on the card everyone sees
    assert [b["action_id"] for b in _buttons(confirmation)] == [SlackId.cancel.value]
    card = world.slack.message(CHANNEL, request.message_ts or "")
    assert [b["action_id"] for b in _buttons(card)] == [SlackId.approve.value, SlackId.reject.value]
    assert "is posted" not in _text(world.slack.ephemerals(user_id=BOB))
    # the requester cancels from there; the confirmation says so
    cancel = _buttons(confirmation)[0]
    world.factory.block_action_message(ALICE, CHANNEL, confirmation["ts"], cancel["action_id"], cancel["value"]).post(
        world.url
    )
    world.wait(lambda: world.runtime.deps.requests.get(request.id).status is RequestStatus.cancelled, what="cancelled")
    world.wait(
        lambda: f"Request #{request.id} is cancelled" in _text(world.slack.ephemerals(user_id=ALICE)), what="said"
    )


def test_a_refused_request_is_told_privately_after_the_modal_closed(world: World) -> None:
    first = walk_to_plan(world, "code")
    submit_plan(world, first, "v2 answers 500")
    posted_request(world)
    second = walk_to_plan(world, "prompt")  # the same target: one change in flight
    submit_plan(world, second, "and the prompt")
    world.wait(lambda: "already" in _text(world.slack.ephemerals(user_id=ALICE)).lower(), what="the refusal")
    assert not world.slack.views()


def test_reject_asks_why_and_the_card_says_who_rejected_and_why(world: World) -> None:
    submit_plan(world, walk_to_plan(world, "code"), "v2 answers 500")
    request = posted_request(world)
    ref = encode_request_ref(request.id)
    world.click(CAROL, request.message_ts or "", SlackId.reject.value, ref)  # an observer may not
    world.wait(lambda: "Only members of" in _text(world.slack.ephemerals(user_id=CAROL)), what="carol refused")
    assert world.runtime.deps.requests.get(request.id).status is RequestStatus.pending

    world.click(BOB, request.message_ts or "", SlackId.reject.value, ref)
    view = world.wait_view(SlackId.reject_view.value)
    assert f"#{request.id}" in _text(view["blocks"]) and "v2 answers 500" in _text(view["blocks"])
    empty = world.submit(BOB, view, _reason("  "))
    assert json.loads(empty.text)["response_action"] == "errors"
    assert world.runtime.deps.requests.get(request.id).status is RequestStatus.pending  # nothing on one click
    hostile = "the errors come from the model {who} <!channel>"
    assert json.loads(world.submit(BOB, view, _reason(hostile)).text) == {"response_action": "clear"}
    world.wait(lambda: world.runtime.deps.requests.get(request.id).status is RequestStatus.rejected, what="rejected")
    world.wait(lambda: "Rejected by" in _text(world.slack.message(CHANNEL, request.message_ts or "")), what="card")
    card = _text(world.slack.message(CHANNEL, request.message_ts or "")["blocks"])
    assert "*Rejected by*\\n<@U0BOB>" in card and "Approved by" not in card
    assert "the errors come from the model {who} &lt;!channel&gt;" in card
    assert any(e.event == "request.rejected" and hostile in str(e.detail) for e in world.runtime.deps.audit.list())
