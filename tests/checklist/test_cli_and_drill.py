"""The CI gate (`rollback-bot checklist`), drills end to end, and the App Home board."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.domain.rollback_requests import RequestStatus, ServiceEnv
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.harness.world import ALICE, BOB, CHANNEL, DEPLOYS, World

STAGING = ServiceEnv("pharmabot", "staging")


@pytest.fixture
def cli_env(world: World, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLBACK_BOT_CONFIG", str(world.config_path))
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", world.slack.bot_token)
    monkeypatch.setenv("SLACK_API_URL", world.slack.api_url)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)


def _invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_checklist_json_exit_codes_and_post(world: World, cli_env: None) -> None:
    res = _invoke("checklist", "pharmabot", "--env", "staging", "--json")
    data = json.loads(res.output)
    assert set(data) == {"overall", "exit_code", "reports"}
    report = data["reports"][0]
    assert [c["key"] for c in report["checks"]] == [
        "previous_revision",
        "rollback_command",
        "prompt_version",
        "backup",
        "drill",
    ]
    assert set(report["checks"][0]) == {"key", "title", "status", "summary", "evidence", "commands"}
    drill = report["checks"][4]
    assert drill["status"] == "fail"  # no drill recorded yet
    assert res.exit_code == 1 and data["exit_code"] == 1 and data["overall"] == "fail"

    posted = _invoke("checklist", "pharmabot", "--env", "staging", "--post")
    assert posted.exit_code == 1
    assert "FAIL" in posted.output and "Rollback tested (drill)" in posted.output
    summary = world.slack.wait_for("chat.postMessage", lambda c: c.body.get("channel") == DEPLOYS)
    assert "Pre-deploy checklist: pharmabot/staging" in json.dumps(summary.body["blocks"])
    world.slack.wait_for("chat.postMessage", lambda c: c.body.get("thread_ts") is not None)


def test_checklist_cannot_run_exits_2(world: World, cli_env: None) -> None:
    res = CliRunner().invoke(main, ["checklist", "nosuch"])
    assert res.exit_code == 2 and "Unknown service “nosuch”" in res.output
    assert CliRunner().invoke(main, ["checklist"]).exit_code == 2


def test_warn_fails_only_with_strict(world: World, cli_env: None) -> None:
    os.environ["WORLD_SEARCH_KEY"] = world.azure.token
    res = _invoke("checklist", "--all", "--json")
    data = json.loads(res.output)
    assert len(data["reports"]) == 2  # prod and staging, run concurrently
    statuses = {c["status"] for r in data["reports"] for c in r["checks"]}
    assert "fail" in statuses  # no drills yet
    assert res.exit_code == 1


def test_drill_in_staging_end_to_end_turns_check_5_green(world: World, cli_env: None) -> None:
    world.slash(ALICE, "drill pharmabot staging code")
    world.wait(lambda: any("Drill #" in m.get("text", "") for m in world.slack.messages(CHANNEL)), what="drill card")
    ts = world.card()["ts"]  # the card itself: the bot stores its ts a moment after posting it
    request = world.runtime.deps.requests.list_recent(limit=1)[0]
    assert request.is_drill and request.target == STAGING
    world.click(ALICE, ts, SlackId.approve.value, encode_request_ref(request.id))
    world.wait(lambda: any("two-person" in e.get("text", "") for e in world.slack.ephemerals(user_id=ALICE)))
    world.click(BOB, ts, SlackId.approve.value, encode_request_ref(request.id))
    world.wait(
        lambda: world.runtime.deps.requests.get(request.id).status is RequestStatus.succeeded,
        what="drill succeeded",
        timeout=20,
    )
    drill = world.runtime.deps.drills.last_passing(STAGING)
    assert drill is not None and drill.request_id == request.id
    assert set(drill.phases) == {"command_issued", "pointer_moved", "verified", "rolled_forward"}
    assert drill.phases["command_issued"] <= drill.phases["pointer_moved"] <= drill.phases["verified"]
    assert drill.time_to_rollback is not None and drill.time_to_rollback <= 120
    # rolled forward: the bad revision serves again, exactly as before the drill
    assert world.traffic("pharmabot-staging") == {"pharmabot-staging--v1": 0, "pharmabot-staging--v2": 100}
    res = _invoke("checklist", "pharmabot", "--env", "staging", "--json")
    checks = {c["key"]: c for c in json.loads(res.output)["reports"][0]["checks"]}
    assert checks["drill"]["status"] == "pass"


def test_drill_cli_respects_the_two_person_rule(world: World, cli_env: None) -> None:
    res = CliRunner().invoke(main, ["drill", "pharmabot", "--env", "staging"])
    assert res.exit_code == 2 and "two-person rule" in res.output


def test_requests_cli(world: World, cli_env: None) -> None:
    world.slash(ALICE, "drill pharmabot staging")
    world.wait(lambda: bool(world.runtime.deps.requests.list_recent(limit=1)), what="request")
    request = world.runtime.deps.requests.list_recent(limit=1)[0]
    listed = json.loads(_invoke("requests", "list", "--json").output)
    assert listed[0]["id"] == request.id and listed[0]["drill"] is True
    assert listed[0]["created_at"].endswith("+00:00")  # ISO 8601 with its zone
    line = _invoke("requests", "list").output.splitlines()[0]
    assert re.search(r"\b\d{4}-\d\d-\d\dT\d\d:\d\dZ\b", line), line
    shown = _invoke("requests", "show", str(request.id))
    assert f"#{request.id} pharmabot/staging code pending" in shown.output and "drill.requested" in shown.output
    assert CliRunner().invoke(main, ["requests", "show", "999"]).exit_code == 2


def test_home_shows_the_readiness_board(world: World) -> None:
    world.factory.app_home_opened(ALICE).post(world.url)
    world.slack.wait_for("views.publish", lambda c: "Last checklist" in json.dumps(c.body))  # once live state is read
    home = json.dumps(world.slack.home(ALICE))
    assert "Rollback readiness" in home and "pharmabot/prod" in home and "pharmabot/staging" in home
    assert "pharmabot-prod--v2" in home and "Last checklist" in home and "Last drill" in home


def test_model_check_uses_the_configured_region(world: World, cli_env: None) -> None:
    data = json.loads(_invoke("checklist", "pharmabot", "--env", "prod", "--json").output)
    check = next(c for c in data["reports"][0]["checks"] if c["key"] == "rollback_command")
    evidence = " ".join(check["evidence"])
    assert "eastus" in evidence and "region not known" not in evidence
