"""Claimed executions: leases on the database's clock, heartbeats for drills, approvals never stranded, cancel.

Replicas here are in-process runtimes on one database; the killed and signalled ones (real processes) are in
``test_replica_processes``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from bot.bootstrap import Runtime
from bot.domain.kinds import CODE
from bot.domain.leases import LeasePolicy
from bot.domain.rollback_requests import RequestStatus, RollbackRequest
from bot.domain.tree import FlowState
from bot.errors import AlreadyDecidedError
from bot.services import rollbacks
from bot.services.execution import claim_due, execute_request
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.harness.world import ALICE, BOB, CAROL, CHANNEL, RG, SUB, ShiftableClock, World, started_world

CODE_FLOW = FlowState(CHANNEL, "pharmabot", "prod", True, CODE)
STAGING_FLOW = FlowState(CHANNEL, "pharmabot", "staging", True, CODE)
SHORT = LeasePolicy(seconds=1.0, claim_every=0.2)
BAD_DEPLOY = [
    {"revisionName": "pharmabot-prod--v1", "weight": 0},
    {"revisionName": "pharmabot-prod--v2", "weight": 100},
]


def _staging_drills_at_once(data: dict[str, Any]) -> dict[str, Any]:
    data["services"][0]["environments"][1]["drills_require_approval"] = False
    return data


@pytest.fixture
def short_leases(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A world whose replicas hold executions under 1 s leases (renewed every ⅓ s), claim loops every 0.2 s."""
    yield from started_world(db_url, tmp_path_factory, leases=SHORT, config=_staging_drills_at_once)


def _events(world: World, request_id: int) -> list[str]:
    return [e.event for e in world.runtime.deps.audit.list(request_id=request_id, limit=1000)]


def test_a_drill_lasting_many_leases_is_left_alone_by_another_replicas_claim_loop(short_leases: World) -> None:
    world = short_leases
    deps = world.runtime.deps
    other = world.replica()
    other.start_background()  # its claim loop looks for executions whose lease ran out, every 0.2 s
    try:
        world.azure.faults.latency(0.8, path_contains="pharmabot-staging")  # a slow Azure: every call 0.8 s
        world.slash(BOB, "drill pharmabot staging code")
        world.wait(lambda: bool(deps.requests.list_recent(limit=1)), what="the drill is stored")
        drill = deps.requests.list_recent(limit=1)[0]
        world.wait(lambda: not deps.requests.get(drill.id).status.in_flight, what="the drill ends", timeout=90)
    finally:
        other.close()
        world.azure.faults.clear()
    done = deps.requests.get(drill.id)
    assert done.status is RequestStatus.succeeded, done.result
    # the outcome is audited right after the status moves: wait for it, then count it
    world.wait(lambda: "execution.executed" in _events(world, drill.id), what="the outcome audited")
    assert done.result["seconds"] >= 3 * SHORT.seconds  # ran for at least three leases' worth
    assert done.claims == 1 and done.lease_owner is None
    # The outcome is audited right after the status is committed: wait for it rather than race it.
    world.wait(lambda: "execution.executed" in _events(world, drill.id), what="the outcome audited", timeout=10)
    events = _events(world, drill.id)
    assert "execution.resumed" not in events and events.count("execution.executed") == 1
    record = deps.drills.recent(done.target, limit=1)[0]
    assert record.passed and record.restored
    assert world.traffic("pharmabot-staging") == {"pharmabot-staging--v1": 0, "pharmabot-staging--v2": 100}


def test_replicas_with_skewed_clocks_neither_expire_approvals_nor_steal_live_leases(short_leases: World) -> None:
    world = short_leases
    behind, ahead = ShiftableClock(), ShiftableClock()
    behind.advance(hours=-1)
    ahead.advance(hours=2)
    slow = world.replica(clock=behind)  # opens the request: its clock is an hour late
    fast = world.replica(clock=ahead)  # looks for leases that ran out: its clock is two hours early
    try:
        request = rollbacks.open_request(slow.deps, state=CODE_FLOW, reason="v2 fails", requester_id=ALICE)
        world.azure.faults.latency(2.5, method="PATCH")
        rollbacks.approve(world.runtime.deps, request_id=request.id, user_id=BOB)  # not expired: the database says
        world.wait(lambda: world.runtime.deps.requests.get(request.id).status is RequestStatus.executing, what="runs")
        for _ in range(10):  # while the PATCH takes its time, the fast replica's claim loop finds nothing to take
            assert claim_due(fast.deps) == []
            time.sleep(0.2)
        world.wait(lambda: not world.runtime.deps.requests.get(request.id).status.in_flight, what="done", timeout=30)
    finally:
        world.azure.faults.clear()
        slow.close(), fast.close()
    done = world.runtime.deps.requests.get(request.id)
    assert done.status is RequestStatus.succeeded and done.claims == 1, done.result
    assert len(world.azure.requests.matching(method="PATCH", path_contains="containerApps/pharmabot-prod")) == 1


def _fail_audit_of(world: World, event: str) -> None:
    """The database refuses one kind of audit INSERT (a failure right after the approved commit)."""
    with world.runtime.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_events "
                    f"WHEN NEW.event = '{event}' BEGIN SELECT RAISE(ABORT, 'injected audit failure'); END"
                )
            )
            return
        conn.execute(
            text(
                "CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.event = '{event}' THEN RAISE EXCEPTION 'injected audit failure'; END IF; RETURN NEW; END $$"
            )
        )
        conn.execute(
            text("CREATE TRIGGER fail_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION fail_audit()")
        )


def test_a_failure_right_after_the_approved_commit_does_not_strand_the_request(world: World) -> None:
    deps = world.runtime.deps
    request = rollbacks.open_request(deps, state=CODE_FLOW, reason="v2 fails", requester_id=ALICE)
    _fail_audit_of(world, "request.approved")
    started = time.monotonic()
    world.click(BOB, request.message_ts or "", SlackId.approve.value, encode_request_ref(request.id))
    world.wait(lambda: "execution.executed" in _events(world, request.id), what="executed", timeout=20)
    assert time.monotonic() - started < 10
    assert deps.requests.get(request.id).status is RequestStatus.succeeded
    assert world.traffic() == {"pharmabot-prod--v1": 100, "pharmabot-prod--v2": 0}
    assert _events(world, request.id).count("execution.executed") == 1
    # Bob is told the audit record failed; the approval itself stands and was carried out.
    world.wait(lambda: any("audit log" in e["text"] for e in world.slack.ephemerals(user_id=BOB)), what="told")


def _approved_unclaimed(world: World) -> RollbackRequest:
    """Approved, not claimed yet (the approving replica is between its commit and the claim)."""
    deps = world.runtime.deps
    request = rollbacks.open_request(deps, state=CODE_FLOW, reason="v2 fails", requester_id=ALICE)
    return deps.requests.transition(
        request.id, from_status=RequestStatus.pending, to_status=RequestStatus.approved, version=1, approver_id=BOB
    )


@pytest.mark.parametrize("who", [ALICE, BOB])  # the requester, an approver
def test_an_approved_request_not_claimed_yet_can_be_cancelled(world: World, who: str) -> None:
    deps = world.runtime.deps
    approved = _approved_unclaimed(world)
    world.slash(CAROL, f"cancel {approved.id}")  # neither
    world.wait(lambda: any("Only" in e["text"] for e in world.slack.ephemerals(user_id=CAROL)), what="refused")
    assert deps.requests.get(approved.id).status is RequestStatus.approved
    world.slash(who, f"cancel {approved.id}")
    world.wait(lambda: deps.requests.get(approved.id).status is RequestStatus.cancelled, what="cancelled")
    assert claim_due(deps) == [] and deps.requests.find_in_flight(approved.target) is None
    world.wait(lambda: "Cancelled" in json.dumps(world.slack.message(CHANNEL, approved.message_ts or "")))
    assert world.traffic()["pharmabot-prod--v2"] == 100


def _race(world: World, other: Runtime, request_id: int) -> dict[str, object]:
    """Another replica claims (and runs) ``request_id`` while the requester cancels it, released together."""
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def claim() -> None:
        barrier.wait()
        outcome["claim"] = execute_request(other.deps, request_id=request_id).status

    def cancel() -> None:
        barrier.wait()
        try:
            outcome["cancel"] = rollbacks.cancel(world.runtime.deps, request_id=request_id, user_id=ALICE).status
        except AlreadyDecidedError as exc:
            outcome["cancel"] = exc.user_message

    threads = [threading.Thread(target=claim), threading.Thread(target=cancel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcome


def test_cancel_and_claim_racing_on_an_approved_request_one_wins(world: World, postgres_url: str) -> None:
    deps = world.runtime.deps
    other = world.replica()
    won = set()
    try:
        for _ in range(8):
            approved = _approved_unclaimed(world)
            outcome = _race(world, other, approved.id)
            final = deps.requests.get(approved.id)
            patches = world.azure.requests.matching(method="PATCH")
            won.add(final.status)
            if final.status is RequestStatus.cancelled:
                assert patches == [] and outcome["claim"] is RequestStatus.cancelled
            else:
                assert final.status is RequestStatus.succeeded and len(patches) == 1
                assert "already" in str(outcome["cancel"])
                world.azure.set_traffic(
                    SUB, RG, "pharmabot-prod", BAD_DEPLOY
                )  # the bad deploy again, for the next round
            world.azure.requests.reset()
    finally:
        other.close()
    assert won <= {RequestStatus.cancelled, RequestStatus.succeeded}


def test_an_interrupted_request_of_an_environment_no_longer_configured_is_closed_at_start(short_leases: World) -> None:
    world = short_leases
    deps = world.runtime.deps
    request = rollbacks.open_request(deps, state=STAGING_FLOW, reason="v2 fails", requester_id=ALICE)
    deps.requests.transition(
        request.id, from_status=RequestStatus.pending, to_status=RequestStatus.approved, version=1, approver_id=BOB
    )
    assert deps.requests.claim(request.id, replica="a-replica-that-died", lease_seconds=0.1) is not None

    def without_staging(data: dict[str, Any]) -> dict[str, Any]:
        data["services"][0]["environments"] = data["services"][0]["environments"][:1]
        return data

    restarted = world.replica(config=without_staging)
    try:
        restarted.start_database(migrate_db=True)  # what serve does at start: no exit, no exception
        world.wait(lambda: not deps.requests.get(request.id).status.in_flight, what="closed", timeout=10)
        # Counted as an outcome; the target is not configured here any more, so its labels say "other".
        interrupted = (
            'rollback_bot_outcomes_total{environment="other",kind="code",outcome="interrupted",service="other"}'
        )
        world.wait(lambda: interrupted + " 1.0" in restarted.metrics.render().decode(), what="counted", timeout=5)
    finally:
        restarted.close()
    closed = deps.requests.get(request.id)
    assert closed.status is RequestStatus.failed
    assert "pharmabot/staging is no longer configured" in closed.result["note"]
    assert "execution.closed" in _events(world, request.id)
    assert world.traffic("pharmabot-staging")["pharmabot-staging--v2"] == 100
    assert deps.requests.find_in_flight(request.target) is None
