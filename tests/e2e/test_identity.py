"""Identity: requesters and approvers are full members of the workspace that installed the bot.

Not guests (``is_restricted``, ``is_ultra_restricted``), not Slack Connect users (``is_stranger``, another
``team_id``), not bots or app users, not deactivated; and '#name' channel patterns count only in channels
the bot is a member of. Every refusal is audited and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.domain.kinds import CODE
from bot.domain.rollback_requests import RequestStatus
from bot.domain.tree import FlowState
from bot.errors import NotMemberError
from bot.services import rollbacks
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from sandbox.emulators.slack import SlackUser
from tests.harness.world import ALICE, CHANNEL, World

GUEST, SINGLE, STRANGER, OTHER_TEAM, APP, GONE, DAVE = (
    "U0GUEST",
    "U0SINGLE",
    "U0STRANGER",
    "U0OTHERORG",
    "U0APPUSER",
    "U0GONE",
    "U0DAVE",
)
PEOPLE = (
    SlackUser(GUEST, "guest", is_restricted=True),
    SlackUser(SINGLE, "single", is_ultra_restricted=True),
    SlackUser(STRANGER, "stranger", team_id="T0ELSEWHERE", is_stranger=True),
    SlackUser(OTHER_TEAM, "partner", team_id="T0PARTNER"),
    SlackUser(APP, "app", is_app_user=True),
    SlackUser(GONE, "gone", deleted=True),
    SlackUser(DAVE, "dave"),
)
FLOW = FlowState(CHANNEL, "pharmabot", "prod", True, CODE)


def _no_approver_list(config: dict[str, Any]) -> dict[str, Any]:
    """With no approvers configured, any full member but the requester may approve."""
    for env in config["services"][0]["environments"]:
        env.pop("approvers", None)
    return config


@pytest.fixture
def open_world(db_url: str, tmp_path: Path) -> Iterator[World]:
    world = World.start(db_url, tmp_path, config=_no_approver_list)
    for person in PEOPLE:
        world.slack.add_user(person)
    try:
        yield world
    finally:
        world.close()


@pytest.mark.parametrize("who", [GUEST, SINGLE, STRANGER, OTHER_TEAM, APP, GONE])
def test_only_full_members_can_request_or_approve(open_world: World, who: str) -> None:
    world = open_world
    world.slash(who, "")
    refusal = world.slack.wait_for("response_url", lambda c: "Only full members" in json.dumps(c.body))
    assert "views.open" not in [c.method for c in world.slack.calls]
    assert "<" not in refusal.body["text"]
    with pytest.raises(NotMemberError):  # the modal's last step checks again (a dialog opened earlier)
        rollbacks.open_request(world.runtime.deps, state=FLOW, reason="r", requester_id=who)
    request = rollbacks.open_request(world.runtime.deps, state=FLOW, reason="bad deploy", requester_id=ALICE)
    world.click(who, request.message_ts or "", SlackId.approve.value, encode_request_ref(request.id))
    world.slack.wait_for("response_url", lambda c: "Only full human members of this workspace" in json.dumps(c.body))
    assert world.runtime.deps.requests.get(request.id).status is RequestStatus.pending
    assert world.traffic()["pharmabot-prod--v2"] == 100
    refusals = [(e.event, e.actor) for e in world.runtime.deps.audit.list() if e.event.startswith("refused.")]
    assert refusals == [("refused.not_member", who), ("refused.not_member", who), ("refused.not_approver", who)]


def test_a_full_member_may_approve_when_no_approvers_are_configured(open_world: World) -> None:
    world = open_world
    request = rollbacks.open_request(world.runtime.deps, state=FLOW, reason="bad deploy", requester_id=ALICE)
    world.click(DAVE, request.message_ts or "", SlackId.approve.value, encode_request_ref(request.id))
    world.wait(
        lambda: world.runtime.deps.requests.get(request.id).status is RequestStatus.succeeded,
        what="succeeded",
        timeout=20,
    )


def _pattern_channel(config: dict[str, Any]) -> dict[str, Any]:
    config["services"][0]["environments"][0]["incident_channels"] = ["#inc-*"]
    return config


def test_a_channel_pattern_matches_only_channels_the_bot_is_in(db_url: str, tmp_path: Path) -> None:
    world = World.start(db_url, tmp_path, config=_pattern_channel)
    try:
        world.slack.add_channel("C0SQUAT", name="inc-anything", is_member=False)  # anyone may create it
        world.slack.add_channel("C0INVITED", name="inc-real", is_member=True)
        world.slash(ALICE, "history pharmabot prod", channel="C0SQUAT")
        world.slack.wait_for("response_url", lambda c: "can only be used in an incident channel" in json.dumps(c.body))
        world.slash(ALICE, "history pharmabot prod", channel="C0INVITED")
        world.slack.wait_for("response_url", lambda c: "No rollback requests yet" in json.dumps(c.body))
    finally:
        world.close()


def test_config_check_warns_about_name_patterns_in_production(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "services:\n  - name: api\n    environments:\n"
        "      - {name: prod, incident_channels: ['#inc-*']}\n"
        "      - {name: staging, incident_channels: ['#stg-*']}\n"
        "      - {name: eu-live, incident_channels: [C0INCIDENT]}\n"
    )
    result = CliRunner().invoke(main, ["config", "check", str(path)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert "environments[0].incident_channels[0]: '#inc-*' is a name pattern in api/prod" in warnings[0]
    assert "id (C…)" in warnings[0]
