"""Acceptance over the emulator: every layer back to a release in one approval; a model failure stops it part-way."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.kinds import RELEASE
from bot.domain.rollback_requests import RequestStatus
from bot.domain.tree import FlowState
from bot.services import rollbacks
from bot.services.drift import check_drift
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.e2e.flow import submit_plan, walk_to_plan
from tests.harness.estate import APP, BAD, DEPLOYMENT, GOOD, TARGET, V1, V2, good_release, live
from tests.harness.world import ALICE, BOB, CHANNEL, World


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
    world.slack.wait_for("views.publish", lambda c: "*Release*" in json.dumps(c.body))  # once live state is read
    home = json.dumps(world.slack.home(ALICE), ensure_ascii=False)
    assert f"*Release* now vs last good, release #{number} (good" in home
    assert f"• `code` {APP}: {V2} 100 % (pharmabot:1.5.0) · {APP}: {V1} 100 % (pharmabot:1.4.2) · DIFFERS" in home
    assert "• `prompt` drug_info v4 active · drug_info v3 active · DIFFERS" in home
    assert "• `embedding` alias drugs → drugs-v2 · alias drugs → drugs-v1 · DIFFERS" in home
