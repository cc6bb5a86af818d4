"""Drills always restore what they captured (or say why not); rollbacks undo only inconsistent partial writes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.domain.kinds import CODE, EMBEDDING, MODEL, PROMPT, KindName
from bot.domain.rollback_requests import RequestStatus
from bot.domain.traffic import TrafficRule, TrafficRules
from bot.domain.tree import FlowState
from bot.errors import AzureOperationError, AzureUnavailableError, StoreError
from bot.services import drills, rollbacks
from tests.fakes import ALICE, APP, BOB, CHANNEL, TARGET, FastWorld, fast_world

pytestmark = pytest.mark.fast
V1, V2 = f"{APP.name}--v1", f"{APP.name}--v2"
RICH = TrafficRules.of(
    TrafficRule(60, latest_revision=True, label="next"),
    TrafficRule(40, revision=V1, label="stable"),
    TrafficRule(0, revision=V2, label="canary"),
)
WRITES = {
    CODE: ("apps", "set_traffic"),
    PROMPT: ("prompts", "activate"),
    MODEL: ("models", "set_model_version"),
    EMBEDDING: ("search", "set_alias"),
}
READS = {
    CODE: ("apps", "get_app"),
    PROMPT: ("prompts", "active"),
    MODEL: ("models", "get_deployment"),
    EMBEDDING: ("search", "get_alias"),
}


def _drill(world: FastWorld, kind: KindName) -> drills.DrillOutcome:
    return drills.run_drill(world.deps, target=TARGET, kind=kind, actor="U0TESTER")


@pytest.mark.parametrize("kind", [CODE, PROMPT, MODEL, EMBEDDING])
def test_a_passing_drill_ends_exactly_where_it_began(kind: KindName) -> None:
    world = fast_world()
    world.apps.rules = RICH
    before = world.layer(kind)
    outcome = _drill(world, kind)
    assert outcome.drill.passed and outcome.drill.restored, outcome.drill.error
    assert world.layer(kind) == before
    assert outcome.steps[-1].name == "verify restore"


@pytest.mark.parametrize("kind", [CODE, PROMPT, MODEL, EMBEDDING])
def test_a_drill_whose_verification_fails_restores_and_says_why(kind: KindName) -> None:
    world = fast_world()
    before = world.layer(kind)
    fake, read = READS[kind]
    if kind == CODE:
        world.probe.status[f"https://{V1}.app.invalid/health/ready"] = 503
    else:
        getattr(world, fake).faults.stale_reads(read)  # a replica that has not seen the write yet
    outcome = _drill(world, kind)
    assert not outcome.drill.passed and outcome.drill.restored
    assert "verification failed" in (outcome.drill.error or "")
    assert world.layer(kind) == before


@pytest.mark.parametrize("kind", [CODE, PROMPT, MODEL, EMBEDDING])
def test_a_drill_whose_write_lands_but_fails_restores_and_says_why(kind: KindName) -> None:
    world = fast_world()
    before = world.layer(kind)
    fake, write = WRITES[kind]
    error = StoreError("connection lost after COMMIT") if kind == PROMPT else AzureOperationError("operation Failed")
    getattr(world, fake).faults.fail_next(write, error, applied=True)
    outcome = _drill(world, kind)
    assert not outcome.drill.passed and outcome.drill.restored
    assert error.user_message in (outcome.drill.error or "")
    assert world.layer(kind) == before


def test_a_code_drill_failing_on_its_second_write_deactivates_what_it_activated() -> None:
    world = fast_world()
    world.apps.revisions[V1] = replace(world.apps.revisions[V1], active=False)
    before = world.layer(CODE)
    world.apps.faults.fail_next("set_traffic", AzureUnavailableError("503 after retries"))
    outcome = _drill(world, CODE)
    assert outcome.drill.restored and "503 after retries" in (outcome.drill.error or "")
    assert world.layer(CODE) == before and not world.apps.revisions[V1].active
    assert [s.name for s in outcome.steps] == [f"activate {V1}", f"deactivate {V1}", "verify restore"]


def test_a_drill_does_not_overwrite_what_someone_else_changed_meanwhile() -> None:
    world = fast_world()
    plan = world.bound(PROMPT).plan()
    # The drill's verification reads a stale replica; by the time it restores, someone activated v2 by hand.
    world.prompts.faults.stale_reads("active")
    original = world.prompts.inner.activate

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        done = original(*args, **kwargs)
        world.prompts.inner.activate = original  # type: ignore[method-assign]
        original("drug_info", 2, actor="U0SOMEONE", reason="by hand")
        return done

    world.prompts.inner.activate = meanwhile  # type: ignore[method-assign]
    outcome = drills.run_drill(world.deps, target=TARGET, kind=PROMPT, actor="U0TESTER", plan=plan)
    assert not outcome.drill.restored
    assert "NOT RESTORED: active changed by someone else" in (outcome.drill.error or "")
    assert world.prompts.inner.active("drug_info").version == 2  # left as found  # type: ignore[union-attr]


def test_a_drill_that_cannot_restore_records_it() -> None:
    world = fast_world()
    world.apps.faults.fail_next("set_traffic", AzureUnavailableError("first write failed"), applied=True)
    world.apps.faults.fail_next("set_traffic", AzureUnavailableError("restore failed too"))
    outcome = _drill(world, CODE)
    assert not outcome.drill.restored and "NOT RESTORED: the restore failed: restore failed too" in outcome.drill.error  # type: ignore[operator]
    assert "drill.recorded" in world.audit.names()


def _approved_rollback(world: FastWorld) -> int:
    state = FlowState(CHANNEL, "pharmabot", "prod", True, CODE)
    request = rollbacks.open_request(world.deps, state=state, reason="bad deploy", requester_id=ALICE)
    rollbacks.approve(world.deps, request_id=request.id, user_id=BOB)
    world.run_jobs()
    return request.id


def test_a_rollback_failing_after_activation_deactivates_the_revision_again() -> None:
    world = fast_world()
    world.apps.revisions[V1] = replace(world.apps.revisions[V1], active=False)
    world.apps.faults.fail_next("set_traffic", AzureUnavailableError("PATCH failed"))
    request = world.requests.get(_approved_rollback(world))
    assert request.status is RequestStatus.failed and not world.apps.revisions[V1].active
    assert "PATCH failed" in request.result["error"] and "Nothing was left changed" in request.result["error"]


def test_a_rollback_whose_verification_fails_stays_in_place_with_the_roll_forward_command() -> None:
    world = fast_world()
    world.probe.status[f"https://{V1}.app.invalid/health/ready"] = 503
    request = world.requests.get(_approved_rollback(world))
    assert request.status is RequestStatus.failed
    assert world.apps.rules == TrafficRules.named({V1: 100, V2: 0})  # the rollback stays
    error = request.result["error"]
    assert "Verification failed" in error and "stays in place" in error
    assert "--revision-weight pharmabot-prod--v2=100 pharmabot-prod--v1=0" in error
