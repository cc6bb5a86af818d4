"""Walking the guided modal as a responder would."""

from __future__ import annotations

from typing import Any

import requests

from bot.domain.rollback_requests import RollbackRequest
from bot.slack.ids import SlackId
from tests.harness.world import ALICE, World


def selected(block: SlackId, action: SlackId, value: str, kind: str = "static_select") -> dict[str, Any]:
    return {block.value: {action.value: {"type": kind, "selected_option": {"value": value}}}}


def walk_to_plan(world: World, kind: str, *, user: str = ALICE, emergency: str = "yes") -> dict[str, Any]:
    """/rollback → target + emergency → what changed → the plan view."""
    assert world.slash(user, "").status_code == 200
    view = world.wait_view(SlackId.flow_target_view.value)
    values = {
        **selected(SlackId.target_block, SlackId.target_select, "pharmabot/prod"),
        **selected(SlackId.emergency_block, SlackId.emergency_radio, emergency, "radio_buttons"),
    }
    assert world.submit(user, view, values).status_code == 200
    view = world.wait_view(SlackId.flow_kind_view.value)
    world.submit(user, view, selected(SlackId.kind_block, SlackId.kind_radio, kind, "radio_buttons"))
    return world.wait_view(SlackId.flow_plan_view.value)


def submit_plan(world: World, view: dict[str, Any], reason: str, *, user: str = ALICE) -> requests.Response:
    values = {SlackId.reason_block.value: {SlackId.reason_input.value: {"type": "plain_text_input", "value": reason}}}
    response = world.submit(user, view, values)
    assert response.status_code == 200
    return response


def posted_request(world: World) -> RollbackRequest:
    """The newest request, once its card is posted and its message ts stored (the card shows first)."""

    def stored() -> RollbackRequest | None:
        recent = world.runtime.deps.requests.list_recent(limit=1)
        return recent[0] if recent and recent[0].message_ts else None

    world.wait(lambda: stored() is not None, what="the request card")
    found = stored()
    assert found is not None
    return found
