"""Code rollbacks over the emulator keep every traffic rule's label and form, and say what they pinned."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.domain.kinds import CODE
from bot.domain.rollback_requests import RequestStatus
from bot.domain.tree import FlowState
from bot.errors import StalePlanError
from bot.services import rollbacks
from bot.services.live import live_state
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.harness.world import ALICE, BOB, CHANNEL, RG, SUB, World

APP = "pharmabot-prod"
V1, V2 = f"{APP}--v1", f"{APP}--v2"
LABELLED = [
    {"latestRevision": True, "weight": 100, "label": "next"},
    {"revisionName": V1, "weight": 0, "label": "stable"},
    {"revisionName": V2, "weight": 0, "label": "canary"},
]
FLOW = FlowState(CHANNEL, "pharmabot", "prod", True, CODE)


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_a_rollback_pins_by_name_keeps_every_label_and_the_card_shows_how_to_roll_forward(world: World) -> None:
    world.azure.set_traffic(SUB, RG, APP, LABELLED)
    request = rollbacks.open_request(world.runtime.deps, state=FLOW, reason="v2 fails", requester_id=ALICE)
    card = _text(world.slack.message(CHANNEL, request.message_ts or "")["blocks"])
    assert "Traffic pinned by revision name: 100 % on pharmabot-prod--v1" in card
    assert "*Roll forward*" in card and "az rest --method patch" in card
    blocks = world.slack.message(CHANNEL, request.message_ts or "")["blocks"]
    undo = next(b["text"]["text"] for b in blocks if "*Roll forward*" in b.get("text", {}).get("text", ""))
    assert '{"latestRevision":true,"weight":100,"label":"next"},{"revisionName":"pharmabot-prod--v1"' in undo
    world.click(BOB, request.message_ts or "", SlackId.approve.value, encode_request_ref(request.id))
    world.wait(lambda: world.runtime.deps.requests.get(request.id).status is RequestStatus.succeeded, what="done")
    assert world.azure.traffic_rules(SUB, RG, APP) == [
        {"latestRevision": True, "weight": 0, "label": "next"},
        {"revisionName": V1, "weight": 100, "label": "stable"},
        {"revisionName": V2, "weight": 0, "label": "canary"},
    ]
    world.wait(
        lambda: "Roll forward (undo) with" in _text(world.slack.thread(CHANNEL, request.message_ts or "")),
        what="thread",
    )
    thread = _text(world.slack.thread(CHANNEL, request.message_ts or ""))
    assert "Roll forward (undo) with" in thread and "az rest --method patch" in thread

    # status and App Home say who pinned it, and since when
    world.slash(ALICE, "status pharmabot prod")
    world.wait(lambda: "pinned by rollback" in _text(world.slack.ephemerals(user_id=ALICE)), what="status")
    assert f"pinned by rollback #{request.id} since" in _text(world.slack.ephemerals(user_id=ALICE))
    world.factory.app_home_opened(ALICE).post(world.url)
    world.slack.wait_for("views.publish", lambda c: "pinned by rollback" in _text(c.body))  # after the first read
    assert f"pinned by rollback #{request.id} since" in _text(world.slack.home(ALICE))

    # once traffic moves on (a deploy takes it), the pin is no longer claimed
    world.azure.set_traffic(SUB, RG, APP, LABELLED)
    notes = [n for f in live_state(world.runtime.deps, request.target) for n in f.notes]
    assert not any("pinned by rollback" in n for n in notes)


@pytest.mark.parametrize(
    "moved",
    [
        pytest.param(
            [{"revisionName": V1, "weight": 0, "label": "stable"}, {"revisionName": V2, "weight": 100}], id="label-only"
        ),
        pytest.param(
            [{"revisionName": V1, "weight": 0}, {"latestRevision": True, "weight": 100}], id="latestRevision-only"
        ),
    ],
)
def test_the_stale_plan_guard_catches_a_rule_change_that_moves_no_traffic(
    world: World, moved: list[dict[str, Any]]
) -> None:
    request = rollbacks.open_request(world.runtime.deps, state=FLOW, reason="v2 fails", requester_id=ALICE)
    world.azure.set_traffic(SUB, RG, APP, moved)
    assert world.traffic() == {V1: 0, V2: 100}  # every revision still gets what it got
    with pytest.raises(StalePlanError, match="Stale plan"):
        rollbacks.approve(world.runtime.deps, request_id=request.id, user_id=BOB)
    assert world.runtime.deps.requests.get(request.id).status is RequestStatus.cancelled
    assert world.azure.traffic_rules(SUB, RG, APP) == moved
