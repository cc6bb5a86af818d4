"""Proof after rollback, end to end: a prompt rollback through Slack, then the LLM signals watched and one follow-up
in the request's thread with before → after numbers computed from the telemetry's answers (the Azure emulator's
Log Analytics workspace through the real azure-monitor-query client, or a SQL call log on SQLite and PostgreSQL),
"recovered" when the rollback helped and "not recovered" when it did not; the watch survives a restart and
posts once across replicas."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from bot.services.proof import run_due_watches
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from sandbox.demo import TELEMETRY_QUERIES, WORKSPACES, prompt_history
from tests.e2e.flow import submit_plan, walk_to_plan
from tests.harness.world import BOB, CHANNEL, World

WS = WORKSPACES["prod"]
SQL_BY_PROMPT = (
    "SELECT prompt_name AS prompt, prompt_version AS version, count(*) AS calls,"
    " sum(CASE WHEN ok THEN 0 ELSE 1 END) AS errors FROM app_calls"
    " WHERE created_at >= :since AND created_at < :until GROUP BY prompt_name, prompt_version"
)


def log_analytics(data: dict[str, Any]) -> dict[str, Any]:
    """The world's configuration with prod's telemetry in the emulator's Log Analytics workspace."""
    emulator = data["azure"]["arm_endpoint"]
    prod = data["services"][0]["environments"][0]
    prod["telemetry"] = {
        "kind": "log_analytics",
        "workspace_id": WS,
        "endpoint": emulator,
        "queries": TELEMETRY_QUERIES,
    }
    prod["verify"] = {"window_minutes": 10, "min_calls": 20}
    return data


def sql_call_log(data: dict[str, Any]) -> dict[str, Any]:
    """The world's configuration with prod's telemetry in a SQL call log (the prompts database's ``app_calls``)."""
    prod = data["services"][0]["environments"][0]
    prod["telemetry"] = {**prod["telemetry"], "queries": {"by_prompt_version": SQL_BY_PROMPT}}
    prod["verify"] = {"window_minutes": 10, "min_calls": 20}
    return data


@pytest.fixture
def la_world(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = World.start(db_url, tmp_path_factory.mktemp("world"), config=log_analytics)
    seeded = datetime.now(UTC)
    registry = prompt_history(w.prompts)

    def application() -> dict[str, list[tuple[datetime | None, str]]]:
        """The application uses the active prompt version: v3 for days, v4 for the last 25 minutes (as seeded),
        then whatever the registry says from now on."""
        later = [(at, version) for at, version in registry()["drug_info"] if at > seeded]
        return {"drug_info": [(seeded - timedelta(days=5), "3"), (seeded - timedelta(minutes=25), "4"), *later]}

    w.azure.follow_prompts(WS, application)
    try:
        yield w
    finally:
        w.close()


@pytest.fixture
def sql_world(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = World.start(db_url, tmp_path_factory.mktemp("world"), config=sql_call_log)
    with w.prompts_engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE app_calls (id INTEGER PRIMARY KEY, created_at TIMESTAMP WITH TIME ZONE,"
                " prompt_name TEXT, prompt_version INTEGER, ok BOOLEAN)"
            )
        )
    try:
        yield w
    finally:
        w.close()


def quality(world: World, *, revisions: dict[str, float], prompts: dict[str, float]) -> None:
    """Set the error rates of prod's revisions and drug_info's versions in the emulator's workspace."""
    with world.azure.lock:
        workspace = world.azure.state["logAnalytics"]["workspaces"][WS]
        for name, rate in revisions.items():
            workspace["revisions"][f"pharmabot-prod--{name}"] = {"errorRate": rate, "p95Ms": 900.0}
        workspace["prompts"]["drug_info"]["versions"] = {v: {"errorRate": r} for v, r in prompts.items()}
        workspace["models"] = {}


def prompt_rollback(world: World) -> dict[str, Any]:
    """Roll drug_info back from v4 to v3 through Slack (two people); returns the card once it says Succeeded."""
    plan_view = walk_to_plan(world, "prompt")
    submit_plan(world, plan_view, "v4 drops the dosage disclaimer")
    world.wait(lambda: any("Rollback #" in m.get("text", "") for m in world.slack.messages(CHANNEL)), what="card")
    card = world.card()
    value = encode_request_ref(world.runtime.deps.requests.list_recent(limit=1)[0].id)
    asked = len(world.azure.requests.matching("POST", "/query"))  # "what changed?" read the signals, before
    world.click(BOB, card["ts"], SlackId.approve.value, value)
    world.wait(lambda: "Succeeded" in json.dumps(world.slack.message(CHANNEL, card["ts"])["blocks"]), what="Succeeded")
    assert world.prompts.active("drug_info").version == 3
    after = world.azure.requests.matching("POST", "/query")
    assert len(after) == asked, "the execution must not wait for the signals"
    return card


def after_the_window(world: World, runner: Callable[[], int] | None = None) -> int:
    """Let the watch window (10 min) and the ingestion grace pass, then run the due watches once."""
    world.clock.advance(minutes=12)
    return (runner or (lambda: run_due_watches(world.runtime.deps)))()


def follow_ups(world: World, card: dict[str, Any]) -> list[dict[str, Any]]:
    replies = [m for m in world.slack.thread(CHANNEL, card["ts"]) if m["ts"] != card["ts"]]
    return [m for m in replies if "Proof after rollback" in json.dumps(m)]


def text_of(message: dict[str, Any]) -> str:
    return "\n".join(b["text"]["text"] for b in message["blocks"] if b.get("type") == "section")


def test_a_prompt_rollback_that_helped_is_proved_recovered_from_log_analytics(la_world: World) -> None:
    world = la_world
    quality(world, revisions={"v1": 0.0, "v2": 0.0}, prompts={"3": 0.0, "4": 0.3})
    card = prompt_rollback(world)
    assert follow_ups(world, card) == []
    assert after_the_window(world) == 1
    [proof] = follow_ups(world, card)
    body = text_of(proof)
    assert ":white_check_mark: *Proof after rollback: recovered*" in body
    assert "*Calls on prompt drug_info v3*: 0.0 % → 100.0 %" in body
    assert "*Error rate*: 30.0 % (180 of 600 calls) → 0.0 % (0 of 600 calls)" in body
    assert "*p95 latency*: 900 ms → 900 ms" in body
    sent = world.azure.requests.matching("POST", f"/v1/workspaces/{WS}/query")
    assert {r.body["query"] for r in sent} == {TELEMETRY_QUERIES["by_prompt_version"], TELEMETRY_QUERIES["by_revision"]}
    assert after_the_window(world) == 0  # one follow-up, once
    assert len(follow_ups(world, card)) == 1
    # the card's update goes through its queue: wait for it
    world.wait(lambda: "recovered" in json.dumps(world.slack.message(CHANNEL, card["ts"])["blocks"]), what="the card")
    card_now = json.dumps(world.slack.message(CHANNEL, card["ts"])["blocks"])
    assert "Proof after rollback" in card_now and "recovered" in card_now


def test_a_prompt_rollback_that_did_not_help_says_not_recovered(la_world: World) -> None:
    world = la_world  # the demo estate: the failing code revision v2 is the real culprit
    card = prompt_rollback(world)
    after_the_window(world)
    [proof] = follow_ups(world, card)
    body = text_of(proof)
    # v2 fails 25 %, the model 1 %; prompt v4 12 % more, v3 0.5 %: 1 - .75*.88*.99 = 34.7 %, 1 - .75*.995*.99 = 26.1 %
    assert ":warning: *Proof after rollback: not recovered*" in body
    assert "*Error rate*: 34.7 % (208 of 600 calls) → 26.2 % (157 of 600 calls)" in body
    assert "did not bring the errors down" in body
    assert "*Calls on prompt drug_info v3*: 0.0 % → 100.0 %" in body


def test_the_watch_survives_a_restart_and_posts_once_across_replicas(la_world: World) -> None:
    world = la_world
    card = prompt_rollback(world)
    world.runtime.close()  # the replica that ran the rollback is gone before the window ends
    replicas = [world.replica(), world.replica()]
    try:
        world.clock.advance(minutes=12)
        barrier = threading.Barrier(2)
        counts: list[int] = []

        def run(deps: Any) -> None:
            barrier.wait()
            counts.append(run_due_watches(deps))

        threads = [threading.Thread(target=run, args=(r.deps,)) for r in replicas]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(counts) == [0, 1]
        assert len(follow_ups(world, card)) == 1
    finally:
        for replica in replicas:
            replica.close()


def _app_calls(engine: Engine, version: int, start: datetime, *, calls: int, failing: int, first_id: int) -> None:
    """The application's call log: ``calls`` calls spread over the 10 minutes from ``start``."""
    with engine.begin() as conn:
        for i in range(calls):
            conn.execute(
                text("INSERT INTO app_calls VALUES (:id, :t, 'drug_info', :v, :ok)"),
                {"id": first_id + i, "t": start + timedelta(seconds=5 * i + 1), "v": version, "ok": i >= failing},
            )


@pytest.mark.parametrize(
    ("failing_after", "verdict", "rate"), [(1, "recovered", "1.0 %"), (29, "not recovered", "29.0 %")]
)
def test_the_same_over_a_sql_call_log(sql_world: World, failing_after: int, verdict: str, rate: str) -> None:
    world = sql_world
    engine = world.prompts_engine
    now = datetime.now(UTC)
    _app_calls(engine, 4, now - timedelta(minutes=9, seconds=30), calls=100, failing=30, first_id=1)
    card = prompt_rollback(world)
    # the application now logs its calls with the prompt version it reads as active
    active = world.prompts.active("drug_info").version
    _app_calls(engine, active, datetime.now(UTC), calls=100, failing=failing_after, first_id=1000)
    after_the_window(world)
    [proof] = follow_ups(world, card)
    body = text_of(proof)
    assert f"*Proof after rollback: {verdict}*" in body
    assert f"*Error rate*: 30.0 % (30 of 100 calls) → {rate} ({failing_after} of 100 calls)" in body
    assert "*Calls on prompt drug_info v3*: 0.0 % → 100.0 %" in body
    assert "*p95 latency*: n/a → n/a" in body
