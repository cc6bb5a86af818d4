"""One change in flight per target: drills (approved or not, Slack or CLI) and requests hold the same slot.

Both environments say ``drills_require_approval: false``: in staging an approver may start a drill at once;
prod is a production environment (by its name) without ``drills_in_prod``, so its drills still need approval.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.domain.kinds import CODE
from bot.domain.rollback_requests import RequestStatus, ServiceEnv
from bot.domain.slots import HolderKind
from bot.domain.tree import FlowState
from bot.errors import RollbackInProgressError
from bot.services import rollbacks
from tests.harness.world import ALICE, BOB, CAROL, CHANNEL, PROCESS_POLL_MS, World, started_world

STAGING = ServiceEnv("pharmabot", "staging")
STAGING_FLOW = FlowState(CHANNEL, "pharmabot", "staging", True, CODE)
STAGING_TRAFFIC = {"pharmabot-staging--v1": 0, "pharmabot-staging--v2": 100}


def _drills_at_once(data: dict[str, Any]) -> dict[str, Any]:
    for env in data["services"][0]["environments"]:  # prod and staging; prod is production by its name
        env["drills_require_approval"] = False
    return data


@pytest.fixture
def world(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from started_world(db_url, tmp_path_factory, config=_drills_at_once, poll_after_ms=PROCESS_POLL_MS)


def _told(world: World, user: str, needle: str) -> str:
    def found() -> str | None:
        return next((e["text"] for e in world.slack.ephemerals(user_id=user) if needle in e.get("text", "")), None)

    world.wait(lambda: found() is not None, what=needle)
    return found() or ""


def _drill_events(world: World) -> list[str]:
    return [e.event for e in world.runtime.deps.audit.list(limit=1000) if e.event.startswith(("drill.", "refused."))]


@pytest.mark.parametrize("held", ["pending", "approved", "executing"])
def test_a_drill_is_refused_while_a_request_holds_the_target_naming_it(world: World, held: str) -> None:
    deps = world.runtime.deps
    request = rollbacks.open_request(deps, state=STAGING_FLOW, reason="v2 fails", requester_id=ALICE)
    if held != "pending":  # approved and not claimed yet; or claimed by a replica that is running it
        request = deps.requests.transition(
            request.id,
            from_status=RequestStatus.pending,
            to_status=RequestStatus.approved,
            version=1,
            approver_id=CAROL,
        )
    if held == "executing":
        assert deps.requests.claim(request.id, replica="another-replica", lease_seconds=60) is not None
    world.slash(BOB, "drill pharmabot staging code")
    refusal = _told(world, BOB, "already has a change in flight")
    assert f"rollback request #{request.id} by <@{ALICE}> since" in refusal
    assert world.traffic("pharmabot-staging") == STAGING_TRAFFIC
    assert [r.id for r in deps.requests.list_recent(limit=10)] == [request.id]  # no drill was stored
    assert "refused.rollback_in_progress" in _drill_events(world)


def test_a_request_is_refused_while_a_drill_runs_and_allowed_once_it_finished(world: World) -> None:
    deps = world.runtime.deps
    world.azure.faults.latency(0.7, path_contains="pharmabot-staging")  # a drill of a few seconds
    world.slash(BOB, "drill pharmabot staging code")
    world.wait(lambda: bool(deps.requests.list_recent(limit=1)), what="the drill is stored")
    drill = deps.requests.list_recent(limit=1)[0]
    assert drill.is_drill
    world.wait(lambda: deps.requests.get(drill.id).status is RequestStatus.executing, what="the drill runs")
    with pytest.raises(RollbackInProgressError, match=rf"drill #{drill.id} by {BOB} since"):
        rollbacks.open_request(deps, state=STAGING_FLOW, reason="v2 fails", requester_id=ALICE)
    holder = deps.slots.holder(STAGING) if deps.slots else None
    assert holder is not None and holder.kind is HolderKind.drill and holder.request_id == drill.id
    world.wait(lambda: not deps.requests.get(drill.id).status.in_flight, what="the drill ends", timeout=60)
    world.azure.faults.clear()
    assert deps.requests.get(drill.id).status is RequestStatus.succeeded
    assert world.traffic("pharmabot-staging") == STAGING_TRAFFIC  # restored
    assert rollbacks.open_request(deps, state=STAGING_FLOW, reason="v2 fails", requester_id=ALICE).id > drill.id


def test_only_the_environments_approvers_may_start_a_drill_without_approval(world: World) -> None:
    world.slash(CAROL, "drill pharmabot staging code")  # in the channel, not an approver
    _told(world, CAROL, "Only members of")
    assert world.runtime.deps.requests.list_recent(limit=1) == []
    assert "refused.not_approver" in _drill_events(world)
    assert world.traffic("pharmabot-staging") == STAGING_TRAFFIC


def test_a_drill_in_production_needs_approval_even_where_drills_run_at_once_elsewhere(world: World) -> None:
    assert world.runtime.deps.catalog.resolve("pharmabot", "prod").production
    world.slash(BOB, "drill pharmabot prod code")
    _told(world, BOB, "runs when a second person approves it")
    request = world.runtime.deps.requests.list_recent(limit=1)[0]
    assert request.is_drill and request.status is RequestStatus.pending


def test_a_cli_drill_holds_the_slot_and_is_refused_while_a_request_is_in_flight(
    world: World, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROLLBACK_BOT_CONFIG", str(world.config_path))
    monkeypatch.setenv("DATABASE_URL", db_url)
    deps = world.runtime.deps
    request = rollbacks.open_request(deps, state=STAGING_FLOW, reason="v2 fails", requester_id=ALICE)
    refused = CliRunner().invoke(main, ["drill", "pharmabot", "--env", "staging"])
    assert refused.exit_code == 2 and f"rollback request #{request.id} by {ALICE} since" in refused.output
    rollbacks.cancel(deps, request_id=request.id, user_id=ALICE)
    ran = CliRunner().invoke(main, ["drill", "pharmabot", "--env", "staging", "--json"])
    assert ran.exit_code == 0, ran.output
    record = json.loads(ran.output)
    stored = deps.requests.list_recent(limit=1)[0]
    assert stored.is_drill and stored.status is RequestStatus.succeeded and stored.requester_id.startswith("cli:")
    assert record["passed"] and record["restored"] and stored.claims == 1
    assert world.traffic("pharmabot-staging") == STAGING_TRAFFIC


def test_a_process_holds_the_slot_under_a_lease_and_a_crashed_one_frees_it(world: World) -> None:
    deps = world.runtime.deps
    slots = deps.slots
    assert slots is not None
    deploy = slots.acquire(STAGING, kind=HolderKind.deploy, ref="deploy-7", who=BOB, lease_seconds=30)
    with pytest.raises(RollbackInProgressError, match=rf"deploy deploy-7 by {BOB} since"):
        rollbacks.open_request(deps, state=STAGING_FLOW, reason="v2 fails", requester_id=ALICE)
    with pytest.raises(RollbackInProgressError, match="deploy deploy-7"):
        slots.acquire(STAGING, kind=HolderKind.deploy, ref="deploy-8", who=CAROL, lease_seconds=30)
    slots.renew(deploy, lease_seconds=0.2)  # ...and the deploy process dies: its lease runs out
    world.wait(lambda: _took(world), what="the lease runs out", timeout=10)
    with pytest.raises(RollbackInProgressError, match="rollback request"):
        slots.acquire(STAGING, kind=HolderKind.deploy, ref="deploy-9", who=CAROL, lease_seconds=30)


def _took(world: World) -> bool:
    try:
        rollbacks.open_request(world.runtime.deps, state=STAGING_FLOW, reason="v2 fails", requester_id=ALICE)
    except RollbackInProgressError:
        return False
    return True
