"""The request lifecycle on fakes: two-person rule, expiry, one in flight, stale plans (whole rule lists)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.domain.kinds import CODE, PROMPT
from bot.domain.rollback_requests import RequestStatus
from bot.domain.traffic import TrafficRule, TrafficRules
from bot.domain.tree import FlowState
from bot.errors import (
    ApprovalExpiredError,
    NotApproverError,
    RollbackInProgressError,
    SelfApprovalError,
    StalePlanError,
)
from bot.services import rollbacks
from bot.services.execution import claim_due
from bot.services.replica import LocalExecutions
from tests.fakes import ALICE, APP, BOB, CAROL, CHANNEL, FastWorld, fast_world

pytestmark = pytest.mark.fast
V1, V2 = f"{APP.name}--v1", f"{APP.name}--v2"


def _open(world: FastWorld, kind: str = CODE) -> int:
    state = FlowState(CHANNEL, "pharmabot", "prod", True, kind)  # type: ignore[arg-type]
    return rollbacks.open_request(world.deps, state=state, reason="v2 <fails>", requester_id=ALICE).id


def test_the_requester_and_a_non_approver_are_refused_and_a_second_person_runs_it_once() -> None:
    world = fast_world()
    request_id = _open(world)
    with pytest.raises(SelfApprovalError):
        rollbacks.approve(world.deps, request_id=request_id, user_id=ALICE)
    with pytest.raises(NotApproverError):
        rollbacks.approve(world.deps, request_id=request_id, user_id=CAROL)
    assert world.apps.rules == TrafficRules.named({V1: 0, V2: 100})
    rollbacks.approve(world.deps, request_id=request_id, user_id=BOB)
    world.run_jobs()
    assert world.requests.get(request_id).status is RequestStatus.succeeded
    assert world.apps.rules == TrafficRules.named({V1: 100, V2: 0})
    events = world.audit.names(request_id)
    assert {"refused.self_approval", "refused.not_approver", "request.approved"} <= set(events)
    assert events.count("execution.executed") == 1
    card = world.notifier.of(request_id, "card")[0]
    assert [m.id for m in card.approvers] == ["S0APPROVERS"]


def test_an_expired_request_cannot_be_approved() -> None:
    world = fast_world()
    request_id = _open(world)
    world.clock.advance(minutes=16)
    with pytest.raises(ApprovalExpiredError):
        rollbacks.approve(world.deps, request_id=request_id, user_id=BOB)
    assert world.requests.get(request_id).status is RequestStatus.expired
    assert world.apps.faults.calls.count("set_traffic") == 0


def test_one_request_in_flight_per_target() -> None:
    world = fast_world()
    first = _open(world)
    with pytest.raises(RollbackInProgressError, match=f"request #{first}"):
        _open(world, PROMPT)


@pytest.mark.parametrize(
    "moved",
    [
        pytest.param(TrafficRules.named({V1: 0, V2: 100}).pinned_to(V2), id="nothing"),
        pytest.param(
            TrafficRules.of(TrafficRule(0, revision=V1), TrafficRule(100, revision=V2, label="blue")), id="label-only"
        ),
        pytest.param(
            TrafficRules.of(TrafficRule(0, revision=V1), TrafficRule(100, latest_revision=True)),
            id="latestRevision-only",
        ),
    ],
)
def test_the_stale_plan_guard_compares_whole_rule_lists(moved: TrafficRules) -> None:
    world = fast_world()
    request_id = _open(world)
    world.apps.rules = moved  # someone edits the rules by hand; every revision still gets what it got
    assert world.apps.get_app(APP).traffic.serving(V2) == {V2: 100}
    if moved == TrafficRules.named({V1: 0, V2: 100}):
        rollbacks.approve(world.deps, request_id=request_id, user_id=BOB)
        return
    with pytest.raises(StalePlanError, match="Stale plan"):
        rollbacks.approve(world.deps, request_id=request_id, user_id=BOB)
    assert world.requests.get(request_id).status is RequestStatus.cancelled
    assert world.apps.rules == moved


def test_a_request_stored_by_an_earlier_version_is_refused_as_stale() -> None:
    world = fast_world()
    request_id = _open(world)
    legacy = {"kind": "code", "choice": V1, "current_text": "v2", "desired_text": "v1", "current": {}, "desired": {}}
    world.requests.store(replace(world.requests.get(request_id), plan=legacy))
    with pytest.raises(StalePlanError, match="earlier version"):
        rollbacks.approve(world.deps, request_id=request_id, user_id=BOB)
    assert world.requests.get(request_id).status is RequestStatus.cancelled
    assert world.apps.faults.calls.count("set_traffic") == 0


def test_a_replica_that_handed_the_execution_over_while_verifying_records_no_outcome() -> None:
    """A drain's deadline can come while the traffic write is made and the verification reads: the replica
    hands the execution over and must not write the outcome after that; the replica that takes it over
    verifies what was written (no second write) and records the one outcome."""
    world = fast_world()
    request_id = _open(world)
    handed: list[bool] = []
    inner = world.probe.get

    def deadline_during_verification(url: Any) -> Any:
        if not handed:
            handed.extend(lease.hand_over() for lease in world.deps.local.running())
        return inner(url)

    world.probe.get = deadline_during_verification  # type: ignore[method-assign]
    rollbacks.approve(world.deps, request_id=request_id, user_id=BOB)
    world.run_jobs()
    stopped = world.requests.get(request_id)
    assert handed == [True] and stopped.status is RequestStatus.executing and stopped.lease_owner is None
    assert "execution.executed" not in world.audit.names(request_id)
    world.probe.get = inner  # type: ignore[method-assign]
    another = replace(world.deps, local=LocalExecutions(), replica_id="replica-b")
    assert claim_due(another) == [request_id]
    world.run_jobs()
    done = world.requests.get(request_id)
    assert done.status is RequestStatus.succeeded and done.claims == 2, done.result
    assert world.apps.faults.calls.count("set_traffic") == 1 and done.result["steps"][0]["name"] == "already applied"
    assert world.audit.names(request_id).count("execution.executed") == 1
