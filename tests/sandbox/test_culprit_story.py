"""The sandbox's stories and the likely culprit: the evidence (telemetry, then health) picks it and says why."""

from __future__ import annotations

import time
from typing import Any

from bot.domain.culprit import MIN_CALLS
from bot.domain.tree import FlowState
from bot.slack import views
from bot.slack.ids import SlackId
from sandbox.demo import ALICE, CHANNEL
from tests.sandbox.client import PageClient, selected

CALLS_PER_SECOND = 1  # the demo workspace of prod: 60 calls a minute


def _kind_step(page: PageClient) -> dict[str, Any]:
    page.act("/api/command", user=ALICE, text="/rollback")
    view = page.wait_modal(SlackId.flow_target_view)
    values = {
        **selected(SlackId.target_block, SlackId.target_select, "pharmabot/prod", "static_select"),
        **selected(SlackId.emergency_block, SlackId.emergency_radio, "yes", "radio_buttons"),
    }
    page.act("/api/submit", user=ALICE, view_id=view["id"], values=values)
    return page.wait_modal(SlackId.flow_kind_view)


def _preselected(view: dict[str, Any]) -> tuple[str | None, str]:
    block = next(b for b in view["blocks"] if b.get("block_id") == SlackId.kind_block.value)
    initial = block["element"].get("initial_option")
    why = next((b["elements"][0]["text"] for b in view["blocks"] if "Likely culprit" in str(b)), "")
    return (initial["value"] if initial else None), why


def test_the_code_story_preselects_code_because_errors_rose_when_v2_went_out(page_api: PageClient) -> None:
    kind, why = _preselected(_kind_step(page_api))
    assert kind == "code"
    assert "Likely culprit: code" in why and "errors rose from" in why and "pharmabot-prod--v2" in why
    assert why.count("\n") == 0  # one line


def test_after_a_bad_prompt_the_prompt_story_preselects_prompt(page_api: PageClient) -> None:
    assert page_api.act("/api/break/prompt", environment="prod")["version"] == 5
    time.sleep((MIN_CALLS + 1) / CALLS_PER_SECOND)  # the application makes enough calls with v5 to tell
    kind, why = _preselected(_kind_step(page_api))
    assert kind == "prompt"
    assert "Likely culprit: prompt" in why and "errors rose from" in why and "drug_info" in why


def test_the_options_that_cannot_run_are_said_before_the_choice_not_under_an_option(page_api: PageClient) -> None:
    # Every kind of the sandbox runs (schema included), so the step is built as the flow builds it for an
    # environment where one cannot: with the sandbox's own options and timeline, plus one that cannot run.
    shown = _kind_step(page_api)
    kinds = next(b for b in shown["blocks"] if b.get("block_id") == SlackId.kind_block.value)
    options = [(o["value"], True, "") for o in kinds["element"]["options"]]
    assert "schema" in [k for k, _, _ in options] and "Not offered here" not in str(shown["blocks"])
    state = FlowState(CHANNEL, "pharmabot", "prod", True)
    view = views.build_kind_view(state, [], [*options, ("flag", False, "planned only")], "code")
    order = [b.get("block_id") or b["type"] for b in view["blocks"]]
    note = next(i for i, b in enumerate(view["blocks"]) if "Not offered here" in str(b))
    assert note < order.index(SlackId.kind_block.value)
