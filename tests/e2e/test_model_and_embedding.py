"""Model and embedding rollbacks through the whole flow: re-pin the deployment; alias back to the old index."""

from __future__ import annotations

import json

import pytest

from bot.domain.kinds import CODE, EMBEDDING, MODEL, PROMPT, KindName
from bot.domain.rollback_requests import RequestStatus
from bot.services import drills
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.e2e.flow import submit_plan, walk_to_plan
from tests.harness.world import BOB, CHANNEL, RG, SUB, World


def _approve_latest(world: World) -> None:
    world.wait(lambda: any("Rollback #" in m.get("text", "") for m in world.slack.messages(CHANNEL)), what="card")
    ts = world.card()["ts"]  # the card itself: the bot stores its ts a moment after posting it
    request = world.runtime.deps.requests.list_recent(limit=1)[0]
    world.click(BOB, ts, SlackId.approve.value, encode_request_ref(request.id))
    world.wait(
        lambda: "Succeeded in" in json.dumps(world.slack.message(CHANNEL, ts)["blocks"]),
        what="Succeeded",
        timeout=20,
    )


def test_model_rollback_repins_the_previous_version(world: World) -> None:
    assert world.azure.deployment(SUB, RG, "pharmabot-openai", "gpt4o-stable")["properties"]["model"]["version"] == (
        "2024-08-06"
    )
    plan_view = walk_to_plan(world, "model")
    blob = json.dumps(plan_view["blocks"], ensure_ascii=False)
    assert "gpt4o-stable: gpt-4o 2024-08-06" in blob and "gpt4o-stable: gpt-4o 2024-05-13 (NoAutoUpgrade)" in blob
    # the deployment's own PUT (the Azure CLI cannot set the upgrade option), as JSON inside the JSON blob
    assert "az rest --method put" in blob
    assert r"\"version\":\"2024-05-13\"},\"versionUpgradeOption\":\"NoAutoUpgrade\"" in blob
    submit_plan(world, plan_view, "2024-08-06 drops the dosage table format")
    _approve_latest(world)
    deployment = world.azure.deployment(SUB, RG, "pharmabot-openai", "gpt4o-stable")["properties"]
    assert deployment["model"]["version"] == "2024-05-13"
    assert deployment["versionUpgradeOption"] == "NoAutoUpgrade"


def test_embedding_rollback_points_the_alias_back(world: World) -> None:
    assert world.azure.alias("drugs") == ["drugs-v2"]
    plan_view = walk_to_plan(world, "embedding")
    blob = json.dumps(plan_view["blocks"], ensure_ascii=False)
    assert "alias drugs → drugs-v2 (12450 documents)" in blob and "alias drugs → drugs-v1 (12000 documents)" in blob
    assert "missing until they are re-ingested" in blob and "450 fewer documents" in blob
    submit_plan(world, plan_view, "v2 embeddings return nonsense neighbours")
    _approve_latest(world)
    assert world.azure.alias("drugs") == ["drugs-v1"]


@pytest.mark.parametrize("kind", [MODEL, EMBEDDING])
def test_drills_roll_model_and_alias_forward_again(world: World, kind: KindName) -> None:
    before = (
        world.azure.deployment(SUB, RG, "pharmabot-openai", "gpt4o-stable")["properties"]["model"]["version"],
        world.azure.alias("drugs"),
    )
    outcome = drills.run_drill(
        world.runtime.deps,
        target=world.runtime.deps.catalog.resolve("pharmabot", "prod").target,
        kind=kind,
        actor="U0TESTER",
    )
    assert outcome.drill.passed, outcome.drill.error
    assert outcome.steps[0].name in ("pin model version", "point alias")
    after = (
        world.azure.deployment(SUB, RG, "pharmabot-openai", "gpt4o-stable")["properties"]["model"]["version"],
        world.azure.alias("drugs"),
    )
    assert after == before
    assert world.runtime.deps.requests.list_by_status([RequestStatus.executing]) == []


def test_the_timeline_shows_model_deployment_changes(world: World) -> None:
    from bot.domain.tree import FlowState
    from bot.services.flow import what_changed

    found = what_changed(world.runtime.deps, FlowState(CHANNEL, "pharmabot", "prod", True))
    kinds = {e.kind for e in found.events}
    assert {CODE, PROMPT, MODEL} <= kinds
    model = next(e for e in found.events if e.kind == MODEL)
    assert "gpt4o-stable" in model.summary and "2024-08-06" in model.summary
    assert [o.kind for o in found.options if o.executable][:1] == [found.recommended]
