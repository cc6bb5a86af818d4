"""Acceptance over the emulator: every layer back to a release in one approval; a model failure stops it part-way."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.kinds import RELEASE
from bot.domain.releases import ReleaseStatus
from bot.domain.rollback_requests import RequestStatus, ServiceEnv
from bot.domain.tree import FlowState
from bot.services import rollbacks
from bot.services.drift import check_drift
from bot.services.releases import mark_release, record_release
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.e2e.flow import submit_plan, walk_to_plan
from tests.harness.world import ALICE, BOB, CHANNEL, RG, SUB, World

TARGET = ServiceEnv("pharmabot", "prod")
APP, V1, V2 = "pharmabot-prod", "pharmabot-prod--v1", "pharmabot-prod--v2"
ACCOUNT, DEPLOYMENT = "pharmabot-openai", "gpt4o-stable"


def set_layers(world: World, *, good: bool) -> None:
    """Every layer to the known-good state (v1, drug_info v3, gpt-4o 2024-05-13, drugs-v1) or the bad one."""
    weights = {V1: 100, V2: 0} if good else {V1: 0, V2: 100}
    world.azure.set_traffic(SUB, RG, APP, [{"revisionName": name, "weight": w} for name, w in weights.items()])
    version = 3 if good else 4
    if world.prompts.active("drug_info").version != version:  # type: ignore[union-attr]
        world.prompts.activate("drug_info", version, actor="U0DEPLOYER", reason="deploy")
    world.azure.upgrade_deployment(SUB, RG, ACCOUNT, DEPLOYMENT, "2024-05-13" if good else "2024-08-06", by="deploy")
    world.azure.set_alias("drugs", "drugs-v1" if good else "drugs-v2")


def good_release(world: World) -> int:
    """A good release of the known-good state; live state is the bad one again afterwards."""
    set_layers(world, good=True)
    deps = world.runtime.deps
    release = record_release(deps, TARGET, source="cli", actor="cli:alice", note="deploy 1.4.2")
    mark_release(deps, TARGET, release.id, ReleaseStatus.good, actor="cli:alice")
    set_layers(world, good=False)
    return release.id


def live(world: World) -> tuple[Any, ...]:
    model = world.azure.deployment(SUB, RG, ACCOUNT, DEPLOYMENT)["properties"]["model"]["version"]
    prompt = world.prompts.active("drug_info").version  # type: ignore[union-attr]
    return world.traffic(), prompt, model, world.azure.alias("drugs")


GOOD = ({V1: 100, V2: 0}, 3, "2024-05-13", ["drugs-v1"])
BAD = ({V1: 0, V2: 100}, 4, "2024-08-06", ["drugs-v2"])


def _final(world: World, ts: str) -> str:
    def done() -> bool:
        text = json.dumps(world.slack.message(CHANNEL, ts)["blocks"])
        return "Succeeded in" in text or "Failed after" in text

    world.wait(done, what="final card", timeout=30)
    return json.dumps(world.slack.message(CHANNEL, ts)["blocks"], ensure_ascii=False)


def _steps(world: World, request_id: int) -> list[dict[str, Any]]:
    events = world.runtime.deps.audit.list(request_id=request_id, limit=1000)
    return [e.detail for e in events if e.event == "execution.step"]


def test_one_approval_restores_code_prompt_model_and_alias_each_verified_in_one_audited_request(world: World) -> None:
    number = good_release(world)
    assert live(world) == BAD
    view = walk_to_plan(world, RELEASE)
    blob = json.dumps(view["blocks"], ensure_ascii=False)
    assert f"code · {APP}: {V2} 100 %" in blob and f"code · {APP}: {V1} 100 %" in blob
    assert "prompt · drug_info v4 active" in blob and "prompt · drug_info v3 active" in blob
    assert "gpt4o-stable: gpt-4o 2024-08-06" in blob and "gpt4o-stable: gpt-4o 2024-05-13" in blob
    assert "alias drugs → drugs-v2" in blob and "alias drugs → drugs-v1" in blob
    submit_plan(world, view, "1.5.0 breaks dosage answers in every layer")
    world.wait(lambda: any("Rollback #" in m.get("text", "") for m in world.slack.messages(CHANNEL)), what="card")
    request = world.runtime.deps.requests.list_recent(limit=1)[0]
    assert request.kind == RELEASE and request.plan["choice"] == str(number)
    world.click(BOB, world.card()["ts"], SlackId.approve.value, encode_request_ref(request.id))
    card = _final(world, world.card()["ts"])
    assert "Succeeded in" in card, card
    assert live(world) == GOOD
    steps = _steps(world, request.id)
    names = [s["step"] for s in steps]
    assert names[:3] == ["code: shift traffic", "code: verify traffic", "code: health check"]
    for layer in ("prompt: activate version", "model: pin model version", "embedding: point alias"):
        assert layer in names
    assert {"prompt: verify active version", "model: verify deployment", "embedding: verify alias"} <= set(names)
    assert names[-1] == "verify release" and all(s["ok"] for s in steps)
    assert {s["data"].get("layer") for s in steps[:-1]} == {"code", "prompt", "model", "embedding"}
    assert [r.id for r in world.runtime.deps.requests.list_recent(target=TARGET)] == [request.id]  # one request
    releases = world.runtime.deps.releases
    world.wait(lambda: releases.latest(TARGET).source == "rollback", what="the release after the rollback")  # type: ignore[union-attr]
    assert f"rollback #{request.id}" in releases.latest(TARGET).note  # type: ignore[union-attr]
    assert check_drift(world.runtime.deps, TARGET).exit_code == 0


def test_a_model_failure_leaves_code_and_prompt_restored_and_the_alias_untouched(world: World) -> None:
    good_release(world)
    deps = world.runtime.deps
    state = FlowState(CHANNEL, "pharmabot", "prod", True, RELEASE)
    request = rollbacks.open_request(deps, state=state, reason="bad release", requester_id=ALICE)
    world.azure.faults.fail_next(1, 403, method="PUT", path_contains=f"deployments/{DEPLOYMENT}")
    rollbacks.approve(deps, request_id=request.id, user_id=BOB)
    # The alias is slow to read: the embedding layer is still reading when the model write fails, so it never writes.
    world.azure.faults.latency(1.5, method="GET", path_contains="aliases")
    card = _final(world, request.message_ts or "")
    world.azure.faults.clear()
    done = deps.requests.get(request.id)
    assert done.status is RequestStatus.failed
    error = done.result["error"]
    assert "model (gpt4o-stable) failed" in error and "lacks permission" in error
    assert "Done and verified: code (pharmabot-prod), prompt (drug_info)." in error
    assert "Not done: embedding (drugs)." in error
    assert "Failed after" in card and "Not done: embedding (drugs)" in card
    assert live(world) == (GOOD[0], GOOD[1], BAD[2], BAD[3])
    names = [s["step"] for s in _steps(world, request.id)]
    assert "code: health check" in names and "prompt: verify active version" in names
    assert not any(n.startswith(("model: verify", "embedding")) for n in names)
    assert deps.requests.find_in_flight(TARGET) is None


def test_app_home_shows_each_layer_now_against_the_last_good_release(world: World) -> None:
    number = good_release(world)
    world.factory.app_home_opened(ALICE).post(world.url)
    world.slack.wait_for("views.publish")
    home = json.dumps(world.slack.home(ALICE), ensure_ascii=False)
    assert f"*Release* now vs last good, release #{number} (good" in home
    assert f"• `code` {APP}: {V2} 100 % (pharmabot:1.5.0) · {APP}: {V1} 100 % (pharmabot:1.4.2) · DIFFERS" in home
    assert "• `prompt` drug_info v4 active · drug_info v3 active · DIFFERS" in home
    assert "• `embedding` alias drugs → drugs-v2 · alias drugs → drugs-v1 · DIFFERS" in home
