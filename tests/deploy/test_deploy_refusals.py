"""Refusals (exit 3, nothing written to Azure): a freeze, a failing checklist when it is required; and the
freeze's own rules: who may lift it, that it ends by itself, that a rollback is never blocked by it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from bot.adapters.db.models import DeployFreezeRow
from bot.cli import main
from bot.domain.deploy import ExitCode
from bot.domain.kinds import CODE
from bot.domain.tree import FlowState
from bot.services import rollbacks
from bot.services.deploy.freezes import freeze
from bot.services.home import readiness
from bot.slack.home import build_home
from tests.deploy.support import RULES, TARGET, azure_writes, deploy_config, deploy_world, prepare, rules, run_deploy
from tests.harness.world import ALICE, BOB, CAROL, CHANNEL, World, started_world

__all__ = ["deploy_world"]


@pytest.fixture
def cli_env(deploy_world: World, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLBACK_BOT_CONFIG", str(deploy_world.config_path))
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", deploy_world.slack.bot_token)
    monkeypatch.setenv("SLACK_API_URL", deploy_world.slack.api_url)
    monkeypatch.setenv("USER", "ci")
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_a_freeze_refuses_deploy_with_exit_3_saying_who_why_until_and_nothing_reaches_azure(
    deploy_world: World, cli_env: None
) -> None:
    world = deploy_world
    prepare(world)
    frozen = _cli("freeze", "pharmabot", "--env", "prod", "--for", "2h", "--reason", "incident <!here> 42")
    assert frozen.exit_code == 0, frozen.output
    result = _cli("deploy", "pharmabot", "--env", "prod", "--image", "acr.io/pharmabot:1.6.0")
    assert result.exit_code == ExitCode.refused
    assert "frozen by cli:ci until" in result.output and "incident <!here> 42" in result.output
    assert azure_writes(world) == []
    events = [e.event for e in world.runtime.deps.audit.list(limit=100)]
    assert "deploy.frozen" in events and "deploy.refused" in events
    # A rollback is never blocked by a freeze.
    request = rollbacks.open_request(
        world.runtime.deps, state=FlowState(CHANNEL, "pharmabot", "prod", True, CODE), reason="bad", requester_id=ALICE
    )
    assert request.id
    rollbacks.cancel(world.runtime.deps, request_id=request.id, user_id=ALICE)
    # Lifted: the deploy runs.
    assert _cli("unfreeze", "pharmabot", "--env", "prod").exit_code == 0
    assert run_deploy(world, "acr.io/pharmabot:1.6.0", suffix="after").exit_code is ExitCode.promoted


def test_a_freeze_ends_by_itself_at_its_time_on_the_database_clock(deploy_world: World) -> None:
    world = deploy_world
    prepare(world)
    deps = world.runtime.deps
    assert deps.freezes is not None
    deps.freezes.freeze(TARGET, who=ALICE, reason="release train", seconds=3600)
    assert run_deploy(world, "acr.io/pharmabot:1.6.0", suffix="frozen").exit_code is ExitCode.refused
    active = deps.freezes.active(TARGET)
    assert active is not None
    with world.runtime.engine.begin() as conn:  # its hour passes (the rows hold times of the database's clock)
        conn.execute(update(DeployFreezeRow).values(until=active.until - timedelta(hours=2)))
    assert deps.freezes.active(TARGET) is None
    assert run_deploy(world, "acr.io/pharmabot:1.6.0", suffix="thawed").exit_code is ExitCode.promoted


def test_slack_freeze_by_a_member_and_unfreeze_only_by_an_approver_or_whoever_froze(deploy_world: World) -> None:
    world = deploy_world
    world.slash(CAROL, "freeze pharmabot prod 90m <@U0BOB> big launch")
    world.wait(lambda: world.runtime.deps.freezes.active(TARGET) is not None, what="the freeze")  # type: ignore[union-attr]
    frozen = world.runtime.deps.freezes.active(TARGET)  # type: ignore[union-attr]
    assert frozen is not None and frozen.who == CAROL and frozen.reason == "<@U0BOB> big launch"
    assert timedelta(minutes=89) < frozen.until - frozen.since <= timedelta(minutes=90, seconds=1)
    world.slash(ALICE, "unfreeze pharmabot prod")  # neither approver nor the one who froze
    world.wait(lambda: any("approver" in e.get("text", "") for e in world.slack.ephemerals(user_id=ALICE)))
    assert world.runtime.deps.freezes.active(TARGET) is not None  # type: ignore[union-attr]
    assert any(e.event == "refused.not_approver" for e in world.runtime.deps.audit.list(limit=100))
    world.slash(BOB, "unfreeze pharmabot prod")  # an approver
    world.wait(lambda: world.runtime.deps.freezes.active(TARGET) is None, what="the unfreeze")  # type: ignore[union-attr]


@pytest.fixture
def checklist_world(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from started_world(db_url, tmp_path_factory, config=deploy_config(require_checklist=True))


def test_a_failing_checklist_refuses_deploy_with_exit_3_when_it_is_required(checklist_world: World) -> None:
    world = checklist_world
    prepare(world)
    report = run_deploy(world, "acr.io/pharmabot:1.6.0", suffix="gated")
    assert report.exit_code is ExitCode.refused, report.message
    assert "checklist" in report.message and "Rollback tested" in report.message  # no drill has passed yet
    assert azure_writes(world) == []


def test_the_stop_event_before_the_creating_write_stops_without_writing(deploy_world: World) -> None:
    world = deploy_world
    prepare(world)
    stop = threading.Event()
    stop.set()
    report = run_deploy(world, "acr.io/pharmabot:1.6.0", suffix="stopped", stop=stop)
    assert report.exit_code is ExitCode.could_not_run and azure_writes(world) == []


def test_a_freeze_shows_in_status_the_checklist_post_and_app_home(deploy_world: World) -> None:
    world = deploy_world
    deps = world.runtime.deps
    freeze(deps, TARGET, duration="1d", reason="quarter-end <!channel>", actor=CAROL)

    def told(needle: str) -> bool:
        return any(needle in json.dumps(e) for e in world.slack.ephemerals(user_id=ALICE))

    world.slash(ALICE, "status pharmabot prod")
    world.wait(lambda: told("Status: pharmabot/prod"), what="the status reply")
    world.slash(ALICE, "checklist pharmabot prod")
    world.wait(lambda: told("Pre-deploy checklist"), what="the checklist reply")
    replies = [json.dumps(e) for e in world.slack.ephemerals(user_id=ALICE)]
    for needle in ("Status: pharmabot/prod", "Pre-deploy checklist"):
        reply = next(r for r in replies if needle in r)
        assert ":snowflake: Deploys frozen by <@U0CAROL>" in reply and "quarter-end &lt;!channel&gt;" in reply
    board = {str(r.policy.target): r for r in readiness(deps)}
    assert board["pharmabot/prod"].freeze is not None and board["pharmabot/staging"].freeze is None
    entries = [(str(r.policy.target), r.live, r.checklist, r.last_drill, r.in_flight) for r in board.values()]
    home = json.dumps(
        build_home(deps.catalog, entries, freezes={k: r.freeze for k, r in board.items() if r.freeze is not None})
    )
    assert home.count(":snowflake: Deploys frozen by <@U0CAROL>") == 1 and "&lt;!channel&gt;" in home


def test_deploy_json_reports_the_outcome_the_rule_lists_and_the_release(deploy_world: World, cli_env: None) -> None:
    world = deploy_world
    prepare(world)
    result = _cli(
        "deploy",
        "pharmabot",
        "--env",
        "prod",
        "--image",
        "acr.io/pharmabot:1.6.0-bad",
        "--revision-suffix",
        "j1",
        "--json",
    )
    assert result.exit_code == ExitCode.rolled_back
    report = json.loads(result.stdout)
    assert report["outcome"] == "rolled_back" and report["revision"] == "pharmabot-prod--j1"
    assert report["rules_before"] == RULES
    assert (
        report["rules_after"]
        == rules(world)
        == [
            {"revisionName": "pharmabot-prod--v1", "weight": 0, "label": "blue"},
            {"revisionName": "pharmabot-prod--v2", "weight": 100, "label": "green"},
        ]
    )
    assert report["release"] and report["deploy"] and any("503" in e for e in report["evidence"])
    bad = _cli("deploy", "pharmabot", "--env", "prod", "--image", "acr.io/x", "--steps", "50,25")
    assert bad.exit_code == ExitCode.could_not_run and "Canary steps" in bad.output
