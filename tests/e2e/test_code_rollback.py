"""Full walk for a code rollback (issue acceptance): modal, two-person rule, traffic shift, verification."""

from __future__ import annotations

import json

from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.e2e.flow import submit_plan, walk_to_plan
from tests.harness.world import ALICE, BOB, CAROL, CHANNEL, World


def _text(blocks: list[dict]) -> str:
    return json.dumps(blocks)


def test_full_code_rollback_walk(world: World) -> None:
    assert world.traffic() == {"pharmabot-prod--v1": 0, "pharmabot-prod--v2": 100}
    plan_view = walk_to_plan(world, "code")
    text = _text(plan_view["blocks"])
    assert "az containerapp ingress traffic set --name pharmabot-prod" in text
    assert "pharmabot-prod--v1=100 pharmabot-prod--v2=0" in text
    submit_plan(world, plan_view, "v2 answers 500 on every drug question")
    world.wait(lambda: any("Rollback #" in m.get("text", "") for m in world.slack.messages(CHANNEL)), what="card")
    card = world.card()
    request_id = world.runtime.deps.requests.list_recent(limit=1)[0].id
    value = encode_request_ref(request_id)
    assert "Waiting for approval" in _text(card["blocks"]) and "S0APPROVERS" in _text(card["blocks"])

    world.click(ALICE, card["ts"], SlackId.approve.value, value)
    world.wait(
        lambda: any("two-person rule" in e.get("text", "") for e in world.slack.ephemerals(user_id=ALICE)),
        what="self-approval refusal",
    )
    world.click(CAROL, card["ts"], SlackId.approve.value, value)
    world.wait(
        lambda: any("Only members of" in e.get("text", "") for e in world.slack.ephemerals(user_id=CAROL)),
        what="non-approver refusal",
    )
    events = [e.event for e in world.runtime.deps.audit.list(request_id=request_id)]
    assert "refused.self_approval" in events and "refused.not_approver" in events
    assert world.traffic()["pharmabot-prod--v2"] == 100

    world.click(BOB, card["ts"], SlackId.approve.value, value)
    world.wait(lambda: "Succeeded" in _text(world.slack.message(CHANNEL, card["ts"])["blocks"]), what="Succeeded card")
    assert world.traffic() == {"pharmabot-prod--v1": 100, "pharmabot-prod--v2": 0}
    final = _text(world.slack.message(CHANNEL, card["ts"])["blocks"])
    assert "Succeeded in" in final and "health check" in final
    assert "*Before*" in final and "*Now*\\npharmabot-prod--v1: 100 %" in final
    world.wait(
        lambda: any("Rollback verified" in m.get("text", "") for m in world.slack.thread(CHANNEL, card["ts"])[1:]),
        what="verification in the thread",
    )
    thread = world.slack.thread(CHANNEL, card["ts"])
    assert "answered 200" in _text([m.get("blocks") for m in thread])
    events = [e.event for e in world.runtime.deps.audit.list(request_id=request_id)]
    assert events.count("execution.executed") == 1 and "request.approved" in events


def test_unanswered_first_step_shows_errors_under_each_input(world: World) -> None:
    assert world.slash(ALICE, "").status_code == 200
    view = world.wait_view(SlackId.flow_target_view.value)
    response = world.submit(ALICE, view, {})
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {SlackId.target_block.value, SlackId.emergency_block.value}


def test_not_an_emergency_posts_investigate_first_with_a_way_to_proceed(world: World) -> None:
    from tests.e2e.flow import selected

    assert world.slash(ALICE, "").status_code == 200
    view = world.wait_view(SlackId.flow_target_view.value)
    values = {
        **selected(SlackId.target_block, SlackId.target_select, "pharmabot/prod"),
        **selected(SlackId.emergency_block, SlackId.emergency_radio, "no", "radio_buttons"),
    }
    world.submit(ALICE, view, values)
    world.wait(lambda: bool(world.slack.ephemerals(user_id=ALICE)), what="investigation message")
    message = world.slack.ephemerals(user_id=ALICE)[-1]
    text = _text(message["blocks"])
    assert "Investigate first" in text and "pharmabot-prod--v2" in text and "drug_info" in text
    proceed = next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert proceed["action_id"] == SlackId.proceed.value
    world.factory.block_action_message(ALICE, CHANNEL, message["ts"], SlackId.proceed.value, proceed["value"]).post(
        world.url
    )
    kind_view = world.wait_view(SlackId.flow_kind_view.value)
    assert "What changed in the last 24 h" in _text(kind_view["blocks"])
    # the used "Proceed" button is gone, so a second click cannot open a second flow
    world.wait(
        lambda: "Proceeding to the rollback" in json.dumps(world.slack.ephemerals(user_id=ALICE)), what="retired"
    )
    assert SlackId.proceed.value not in json.dumps(world.slack.ephemerals(user_id=ALICE))
