"""Every built-in kind on fakes: plan, execute, verify, capture, restore; schema is planned only."""

from __future__ import annotations

import pytest

from bot.domain.kinds import CODE, EMBEDDING, MODEL, PROMPT, SCHEMA, KindName
from bot.domain.traffic import TrafficRule, TrafficRules
from bot.errors import UsageError
from bot.kinds import changed_by_others
from bot.kinds.prompt import PromptPointer
from tests.fakes import APP, fast_world

pytestmark = pytest.mark.fast
V1, V2 = f"{APP.name}--v1", f"{APP.name}--v2"


@pytest.mark.parametrize("kind", [CODE, PROMPT, MODEL, EMBEDDING])
def test_plan_execute_verify_capture_restore(kind: KindName) -> None:
    world = fast_world()
    bound = world.bound(kind)
    before = world.layer(kind)
    plan = bound.plan()
    assert plan.executable and plan.commands and plan.roll_forward
    snapshot = bound.capture(plan)
    assert snapshot == plan.current
    steps = list(bound.execute(plan))
    assert [s.name for s in steps][-1] == bound.pointer_step
    assert bound.verify(plan).ok, bound.verify(plan).details
    live = bound.capture(plan)
    assert live == plan.desired and world.layer(kind) != before
    assert changed_by_others(snapshot, plan.desired, live) == ()
    list(bound.restore(snapshot, live))
    assert bound.capture(plan) == snapshot and world.layer(kind) == before


def test_code_pins_by_name_keeping_every_label_and_the_latest_revision_rule() -> None:
    world = fast_world()
    world.apps.rules = TrafficRules.of(
        TrafficRule(70, latest_revision=True, label="next"),
        TrafficRule(30, revision=V1, label="stable"),
        TrafficRule(0, revision=V2, label="canary"),
    )
    plan = world.bound(CODE).plan(choice=V1)
    list(world.bound(CODE).execute(plan))
    assert world.apps.rules == TrafficRules.of(
        TrafficRule(0, latest_revision=True, label="next"),
        TrafficRule(100, revision=V1, label="stable"),
        TrafficRule(0, revision=V2, label="canary"),
    )
    assert "az rest --method patch" in plan.roll_forward[0] and '"latestRevision":true' in plan.roll_forward[0]
    assert "pinned by revision name" in plan.note


def test_code_verification_fails_when_the_target_is_unhealthy() -> None:
    world = fast_world()
    plan = world.bound(CODE).plan()
    world.probe.status[f"https://{V1}.app.invalid/health/ready"] = 503
    list(world.bound(CODE).execute(plan))
    verification = world.bound(CODE).verify(plan)
    assert not verification.ok and "answered 503" in verification.failure
    assert [c.name for c in verification.checks] == ["verify traffic", "health check"]


def test_code_activates_an_inactive_target_first_and_undoes_only_that_when_traffic_fails() -> None:
    world = fast_world()
    world.apps.revisions[V1] = world.apps.revisions[V1].__class__(
        **{**world.apps.revisions[V1].__dict__, "active": False}
    )
    plan = world.bound(CODE).plan()
    assert plan.steps[0] == f"activate {V1}" and "revision deactivate" in plan.roll_forward[-1]
    world.apps.faults.fail_next("set_traffic", UsageError("PATCH refused"))
    with pytest.raises(UsageError):
        list(world.bound(CODE).execute(plan))
    live = world.bound(CODE).capture(plan)
    assert V1 in live.active and live.rules == plan.current.rules  # type: ignore[union-attr]
    undone = list(world.bound(CODE).undo_partial(plan, live))
    assert [s.name for s in undone] == [f"deactivate {V1}"] and not world.apps.revisions[V1].active


def test_prompt_cannot_restore_no_active_version_and_refuses_the_active_one() -> None:
    world = fast_world()
    bound = world.bound(PROMPT)
    with pytest.raises(UsageError, match="already the active version"):
        bound.plan(choice="drug_info@4")
    assert bound.restorable(PromptPointer("drug_info", None))
    assert bound.restorable(PromptPointer("drug_info", 3)) is None


def test_model_restore_puts_the_upgrade_option_back() -> None:
    world = fast_world()
    bound = world.bound(MODEL)
    plan = bound.plan()
    assert plan.desired.upgrade_option == "NoAutoUpgrade"  # type: ignore[union-attr]
    list(bound.execute(plan))
    list(bound.restore(plan.current, bound.capture(plan)))
    assert world.models.deployments["gpt4o-stable"].version_upgrade_option == "OnceNewDefaultVersionAvailable"


def test_schema_without_a_release_says_to_choose_a_way_back_and_runs_nothing() -> None:
    world = fast_world()
    bound = world.bound(SCHEMA)
    plan = bound.plan()
    assert not plan.executable and bound.executes and not bound.drillable and bound.own_request
    assert plan.commands[0].startswith("az postgres flexible-server restore")
    assert "Choose a way back" in (plan.blocked_reason or "")
    with pytest.raises(UsageError):
        list(bound.execute(plan))


@pytest.mark.parametrize("kind", [CODE, PROMPT, MODEL, EMBEDDING, SCHEMA])
def test_live_state_is_neutral_facts_and_json(kind: KindName) -> None:
    live = fast_world().bound(kind).read()
    facts = live.facts()
    assert facts.title and (facts.rows or facts.headline)
    text = repr(facts) + repr(live.to_json())
    assert "<@" not in text and "*" not in text  # no Slack markup from a kind


def test_prompt_plans_are_refused_while_the_guards_are_missing() -> None:
    world = fast_world()
    world.prompts.inner.missing_guards = ("trigger system_prompts_no_update",)  # type: ignore[attr-defined]
    plan = world.bound(PROMPT).plan()
    assert not plan.executable and "rollback-bot prompts init" in (plan.blocked_reason or "")
