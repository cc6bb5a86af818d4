"""Proof after rollback on fakes: what each kind's rollback watches, when the watch is due, the follow-up and the
card, bounded retries ending in a 'no proof' follow-up, drills, and what is not watched."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.kinds import CODE, EMBEDDING, MODEL, PROMPT, KindName
from bot.domain.recovery import Verdict
from bot.domain.rollback_requests import RequestStatus
from bot.domain.signals import SignalQuery, TimeWindow
from bot.domain.tree import FlowState
from bot.domain.watches import INGESTION_GRACE
from bot.errors import TelemetryError
from bot.services import drills, rollbacks
from bot.services.execution import claim_due
from bot.services.policy import plan_of
from bot.services.proof import run_due_watches
from bot.services.replica import LocalExecutions
from tests.fakes import ALICE, APP, BOB, CHANNEL, TARGET, FakeTelemetry, FastWorld, fast_world

pytestmark = pytest.mark.fast
V1, V2 = f"{APP.name}--v1", f"{APP.name}--v2"
REVISION_COLUMNS = ("revision", "calls", "errors", "p95_ms")


def by_revision() -> FakeTelemetry:
    """Before the rollback v2 serves 600 calls with 120 errors; after it v1 serves 600 with 3."""
    rolled_back_at: list[object] = []

    def answer(window: TimeWindow) -> FakeTelemetry.Answer:
        if rolled_back_at and window.start >= rolled_back_at[0]:  # type: ignore[operator]
            return REVISION_COLUMNS, ((V1, 600, 3, 850.0),)
        return REVISION_COLUMNS, ((V2, 600, 120, 2400.0),)

    telemetry = FakeTelemetry(tables={SignalQuery.by_revision: answer})
    telemetry.rolled_back_at = rolled_back_at  # type: ignore[attr-defined]
    return telemetry


def _rollback(world: FastWorld, kind: KindName) -> int:
    state = FlowState(CHANNEL, "pharmabot", "prod", True, kind)  # type: ignore[arg-type]
    request_id = rollbacks.open_request(world.deps, state=state, reason="bad deploy", requester_id=ALICE).id
    rollbacks.approve(world.deps, request_id=request_id, user_id=BOB)
    world.run_jobs()
    assert world.requests.get(request_id).status is RequestStatus.succeeded
    return request_id


def test_a_code_rollback_is_watched_for_the_window_then_proved_once() -> None:
    telemetry = by_revision()
    world = fast_world(telemetry=telemetry)
    started = world.clock()
    request_id = _rollback(world, CODE)
    telemetry.rolled_back_at.append(world.clock())  # type: ignore[attr-defined]
    [watch] = world.watches.watches.values()
    assert (watch.subject.describe(), watch.request_id) == (f"revision {V1}", request_id)
    assert watch.due_at == watch.settled_at + timedelta(minutes=10) + INGESTION_GRACE
    assert watch.changed_at == started
    [update] = world.notifier.of(request_id, "update")[-1:]
    assert update.proof is not None and update.proof.until == watch.after_end and not update.proof.posted
    assert telemetry.asked == []  # the execution never reads the signals
    world.clock.advance(minutes=10)
    assert run_due_watches(world.deps) == 0  # not yet due: the window plus the ingestion grace
    world.clock.advance(minutes=1, seconds=1)
    assert run_due_watches(world.deps) == 1
    [proof] = world.notifier.of(request_id, "proof")
    assert proof.text == f"recovered: error rate 20.0 % → 0.5 % with 100.0 % of calls on revision {V1}"
    card = world.notifier.of(request_id, "update")[-1].proof
    assert card is not None and card.posted and card.verdict is Verdict.recovered and card.link
    assert [(q, w.length, r) for q, w, r in telemetry.asked] == [
        (SignalQuery.by_revision, timedelta(minutes=10), V1),
        (SignalQuery.by_revision, timedelta(minutes=10), V1),
    ]
    world.clock.advance(hours=1)
    assert run_due_watches(world.deps) == 0
    assert len(world.notifier.of(request_id, "proof")) == 1


def test_a_model_rollback_without_a_by_model_query_is_judged_on_every_revision() -> None:
    world = fast_world(telemetry=by_revision())
    request_id = _rollback(world, MODEL)
    [watch] = world.watches.watches.values()
    assert watch.subject.describe() == "model gpt4o-stable 2024-05-13"
    world.clock.advance(minutes=12)
    run_due_watches(world.deps)
    [proof] = world.notifier.of(request_id, "proof")
    assert proof.text == "not recovered: error rate 20.0 % → 20.0 %: the rollback did not bring the errors down"


def test_failing_signals_are_retried_with_backoff_then_the_thread_says_why_there_is_no_proof() -> None:
    def throttled(window: TimeWindow) -> FakeTelemetry.Answer:
        raise TelemetryError("Log Analytics is throttling")

    telemetry = FakeTelemetry(tables={SignalQuery.by_prompt_version: throttled})
    world = fast_world(telemetry=telemetry)
    request_id = _rollback(world, PROMPT)
    world.clock.advance(minutes=11, seconds=1)
    waits = []
    for _ in range(4):
        assert run_due_watches(world.deps) == 1
        if world.notifier.of(request_id, "proof"):
            break
        lease = max(world.watches.leases.values())
        waits.append(lease - world.clock())
        assert run_due_watches(world.deps) == 0  # held until its retry time
        world.clock.now = lease + timedelta(seconds=1)
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    [proof] = world.notifier.of(request_id, "proof")
    assert proof.text == "no proof: Log Analytics is throttling"
    assert world.notifier.of(request_id, "update")[-1].proof.verdict is None  # type: ignore[union-attr]


@pytest.mark.parametrize("telemetry", [FakeTelemetry(tables={}), FakeTelemetry()], ids=["no query", "item 3 only"])
def test_nothing_is_watched_without_a_query_that_can_read_it(telemetry: FakeTelemetry) -> None:
    world = fast_world(telemetry=telemetry)
    request_id = _rollback(world, PROMPT)
    assert world.watches.watches == {}
    assert world.notifier.of(request_id, "update")[-1].proof is None


def test_an_embedding_rollback_restores_nothing_the_signals_group_by() -> None:
    world = fast_world(telemetry=by_revision())
    _rollback(world, EMBEDDING)
    assert world.watches.watches == {}


def test_a_drill_records_the_same_evidence_over_the_time_its_rollback_was_in_place() -> None:
    world = fast_world(telemetry=by_revision(), drills_require_approval=False)
    outcome = drills.run_drill(world.deps, target=TARGET, kind=CODE, actor="U0TESTER")
    assert outcome.drill.passed
    [watch] = world.watches.watches.values()
    assert (watch.drill_id, watch.request_id, watch.subject.describe()) == (outcome.drill.id, None, f"revision {V1}")
    assert watch.settled_at <= watch.after_end
    world.clock.advance(minutes=2)
    assert run_due_watches(world.deps) == 1
    recorded = world.watches.outcome(drill_id=outcome.drill.id)
    assert recorded is not None and recorded["evidence"]["verdict"] == "not yet"  # seconds of calls only
    assert recorded["message_ts"] is None  # a drill from the command line has no thread


def test_a_rollback_found_in_place_after_a_crash_is_watched_too() -> None:
    world = fast_world(telemetry=by_revision())
    state = FlowState(CHANNEL, "pharmabot", "prod", True, CODE)  # type: ignore[arg-type]
    request_id = rollbacks.open_request(world.deps, state=state, reason="bad deploy", requester_id=ALICE).id
    rollbacks.approve(world.deps, request_id=request_id, user_id=BOB)
    world.jobs.clear()  # the replica that claimed it died …
    request = world.requests.claim(request_id, replica="a-replica-that-died", lease_seconds=15)
    assert request is not None
    list(world.bound(CODE).execute(plan_of(world.deps, request)))  # … after the traffic moved
    world.clock.advance(seconds=16)  # its lease ran out: another replica resumes it
    another = replace(world.deps, local=LocalExecutions(), replica_id="replica-b")
    assert claim_due(another) == [request_id]
    world.run_jobs()
    resumed = world.requests.get(request_id)
    assert resumed.status is RequestStatus.succeeded and resumed.claims == 2
    assert resumed.result["steps"][0]["name"] == "already applied"
    [watch] = world.watches.watches.values()
    assert (watch.request_id, watch.subject.describe()) == (request_id, f"revision {V1}")
    assert world.notifier.of(request_id, "update")[-1].proof is not None
