"""Acceptance over the emulator: drift from the newest release, posted once by two replicas; `drift` exit codes."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.domain.kinds import RELEASE
from bot.domain.releases import ReleaseStatus
from bot.domain.rollback_requests import RequestStatus, ServiceEnv
from bot.domain.tree import FlowState
from bot.scheduler import build_scheduler
from bot.services.releases import mark_release, record_release
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.e2e.flow import submit_plan
from tests.harness.world import ALICE, BOB, CHANNEL, DEPLOYS, RG, SUB, World

TARGET = ServiceEnv("pharmabot", "prod")


@pytest.fixture
def cli_env(world: World, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLBACK_BOT_CONFIG", str(world.config_path))
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", world.slack.bot_token)
    monkeypatch.setenv("SLACK_API_URL", world.slack.api_url)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _drift_posts(world: World) -> list[dict[str, Any]]:
    return [m for m in world.slack.messages(DEPLOYS) if str(m.get("text", "")).startswith("Drift on")]


def _next_check(world: World, posts: int) -> None:
    """Let the interval pass on the shared clock, so both replicas check again; wait for ``posts`` posts."""
    world.clock.advance(minutes=16)
    world.wait(lambda: len(_drift_posts(world)) >= posts, timeout=20, what=f"{posts} drift posts")


def test_each_new_drift_is_posted_once_by_two_replicas_and_drift_exits_1_then_0(world: World, cli_env: None) -> None:
    deps = world.runtime.deps
    release = record_release(deps, TARGET, source="cli", actor="cli:alice", note="deploy 1.5.0")
    mark_release(deps, TARGET, release.id, ReleaseStatus.good, actor="cli:alice")
    assert _cli("drift", "pharmabot", "--env", "prod").exit_code == 0
    replica = world.replica()
    schedulers = [
        build_scheduler(d, triggers={}, expiry_interval_seconds=3600, drift_seconds=0.1) for d in (deps, replica.deps)
    ]
    try:
        for scheduler in schedulers:
            scheduler.start()
        world.azure.upgrade_deployment(SUB, RG, "pharmabot-openai", "gpt4o-stable", "2024-11-20")  # Azure did it
        _next_check(world, 1)
        checked = _cli("drift", "pharmabot", "--env", "prod")
        assert checked.exit_code == 1 and "DRIFT" in checked.output and ": model" in checked.output
        assert "model: release gpt4o-stable: gpt-4o 2024-08-06" in checked.output
        assert "→ now gpt4o-stable: gpt-4o 2024-11-20" in checked.output
        world.prompts.activate("drug_info", 3, actor="U0SOMEONE", reason="by hand")  # outside the bot
        _next_check(world, 2)
        world.clock.advance(minutes=16)  # another round on both replicas: nothing new to post
        time.sleep(1.0)
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)
        replica.close()
    posts = _drift_posts(world)
    assert len(posts) == 2, [p["text"] for p in posts]
    first, second = (json.dumps(p["blocks"], ensure_ascii=False) for p in posts)
    assert "*model* release `gpt4o-stable: gpt-4o 2024-08-06" in first and "drug_info" not in first
    assert "*prompt* release `drug_info v4 active` → now `drug_info v3 active`" in second
    assert "gpt4o-stable" not in second
    button = next(e for b in posts[0]["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert button["action_id"] == SlackId.drift_rollback.value
    preset = FlowState.decode(button["value"], deps.kinds)
    assert (preset.kind, preset.choice, preset.channel_id) == (RELEASE, str(release.id), CHANNEL)

    as_json = json.loads(_cli("drift", "pharmabot", "--env", "prod", "--json").output)
    assert as_json["exit_code"] == 1 and {d["kind"] for d in as_json["drift"]} == {"model", "prompt"}

    # the post's button opens /rollback at the plan back to the last good release; a second person approves
    world.click(ALICE, posts[1]["ts"], SlackId.drift_rollback.value, button["value"], channel=DEPLOYS)
    view = world.wait_view(SlackId.flow_plan_view.value)
    plan = json.dumps(view["blocks"], ensure_ascii=False)
    assert f"Back to release #{release.id}" in plan and "gpt4o-stable: gpt-4o 2024-11-20" in plan
    submit_plan(world, view, "Azure upgraded the model and someone activated a prompt by hand")
    world.wait(lambda: deps.requests.find_in_flight(TARGET) is not None, what="the request")
    request = deps.requests.find_in_flight(TARGET)
    assert request is not None and request.kind == RELEASE and request.channel_id == CHANNEL
    world.wait(lambda: deps.requests.get(request.id).message_ts is not None, what="the card")
    world.click(
        BOB, deps.requests.get(request.id).message_ts or "", SlackId.approve.value, encode_request_ref(request.id)
    )
    world.wait(lambda: deps.requests.get(request.id).status is RequestStatus.succeeded, timeout=30, what="rollback")
    world.wait(lambda: deps.releases.latest(TARGET).source == "rollback", what="release")  # type: ignore[union-attr]
    after = _cli("drift", "pharmabot", "--env", "prod")
    assert after.exit_code == 0 and "matches release" in after.output


def test_drift_cannot_run_without_a_release_and_posts_on_request(world: World, cli_env: None, tmp_path: Path) -> None:
    res = _cli("drift", "pharmabot", "--env", "prod", "--json")
    assert res.exit_code == 2 and "no release of pharmabot/prod is recorded yet" in json.loads(res.output)["errors"][0]
    recorded = json.loads(_cli("release", "record", "pharmabot", "--env", "prod", "--note", "1.5.0", "--json").output)
    assert recorded["status"] == "unknown" and set(recorded["layers"]) == {"code", "prompt", "model", "embedding"}
    assert _cli("release", "mark", "pharmabot", str(recorded["id"]), "good", "--env", "prod").exit_code == 0
    listed = json.loads(_cli("releases", "pharmabot", "--env", "prod", "--json").output)
    assert [(r["id"], r["status"]) for r in listed] == [(recorded["id"], "good")]
    world.azure.set_alias("drugs", "drugs-v1")  # moved in the portal
    posted = _cli("drift", "pharmabot", "--env", "prod", "--post")
    assert posted.exit_code == 1 and "embedding: release alias drugs → drugs-v2" in posted.output
    assert len(_drift_posts(world)) == 1
    assert _cli("release", "mark", "pharmabot", "999", "good", "--env", "prod").exit_code == 2
