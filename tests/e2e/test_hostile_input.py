"""Hostile text and data past Slack's limits, through the real app: inert in the channel, never a crash."""

from __future__ import annotations

import json
import re

from bot.domain.plan import choice_key
from bot.domain.rollback_requests import RequestStatus
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.e2e.flow import posted_request, submit_plan, walk_to_plan
from tests.harness.world import ALICE, BOB, CHANNEL, World

ATTACK = "<!channel> <@U0MALLORY> approved, see <https://evil.example|https://portal.azure.com/#resource>"
MARKUP = re.compile(r"<(?:!channel|@U0MALLORY|https://evil)")


def _everything_posted(world: World) -> str:
    """Every message, thread reply, ephemeral, modal and response_url post the bot sent, as one string."""
    sent = [c.body for c in world.slack.calls if c.method in {"chat.postMessage", "chat.update", "response_url"}]
    sent += [c.body for c in world.slack.calls if c.method in {"chat.postEphemeral", "views.update", "views.open"}]
    return json.dumps(sent)


def test_markup_in_a_reason_and_in_azure_error_text_reaches_the_channel_as_text(world: World) -> None:
    world.azure.faults.fail_next(
        1, 400, code="BadRequest", message=ATTACK, method="PATCH", path_contains="containerApps"
    )
    plan_view = walk_to_plan(world, "code")
    submit_plan(world, plan_view, ATTACK)
    request = posted_request(world)
    world.click(BOB, request.message_ts or "", SlackId.approve.value, encode_request_ref(request.id))
    world.wait(
        lambda: world.runtime.deps.requests.get(request.id).status is RequestStatus.failed, what="failed", timeout=20
    )
    world.wait(lambda: len(world.slack.thread(CHANNEL, request.message_ts or "")) > 1, what="thread reply")
    assert "evil.example" in str(world.runtime.deps.requests.get(request.id).result["error"])  # Azure's text is kept…
    posted = _everything_posted(world)
    assert "&lt;!channel&gt;" in posted and "evil.example" in posted  # …and shown, as text
    assert not MARKUP.search(posted), MARKUP.search(posted)
    world.slash(ALICE, "status <!channel>")  # typed input echoed back in a usage lead
    world.slash(ALICE, "cancel <https://evil.example|https://portal.azure.com>")
    world.slack.wait_for("response_url", lambda c: "Unknown service" in json.dumps(c.body))
    world.slack.wait_for("response_url", lambda c: "is not a request id" in json.dumps(c.body))
    assert not MARKUP.search(_everything_posted(world))


def test_a_prompt_name_longer_than_an_option_value_still_plans_and_rolls_back(world: World) -> None:
    long_name = "agent_" + "very_long_prompt_name_" * 8  # 182 characters: Slack caps option values at 150
    for n in (1, 2):
        world.prompts.add(long_name, f"You are agent {n}.", actor="seed")
    world.prompts.activate(long_name, 1, actor="seed", reason="initial")
    world.prompts.activate(long_name, 2, actor="U0DEPLOYER", reason="deploy")  # the latest change: preselected
    plan_view = walk_to_plan(world, "prompt")
    blob = json.dumps(plan_view["blocks"])
    assert "Cannot run this plan" not in blob and "Something went wrong" not in _everything_posted(world)
    wanted = f"{long_name}@1"
    assert json.loads(plan_view["private_metadata"])["choice"] == choice_key(wanted)
    world.pick(ALICE, plan_view, SlackId.choice_select.value, choice_key(wanted), SlackId.choice_block.value)
    world.wait(lambda: world.wait_view(SlackId.flow_plan_view.value)["hash"] != plan_view["hash"], what="re-plan")
    submit_plan(world, world.wait_view(SlackId.flow_plan_view.value), "the long agent prompt regressed")
    request = posted_request(world)
    assert world.runtime.deps.kinds.decode_plan(request.plan).choice == wanted
    world.click(BOB, request.message_ts or "", SlackId.approve.value, encode_request_ref(request.id))
    world.wait(
        lambda: world.runtime.deps.requests.get(request.id).status is RequestStatus.succeeded,
        what="succeeded",
        timeout=20,
    )
    assert world.prompts.active(long_name).version == 1
