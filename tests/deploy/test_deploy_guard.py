"""Acceptance over the emulator: a guarded deploy promotes a good image, rolls back a bad one exactly, and
creates the revision at 0 % on the wire; canary steps roll back from the step whose gate fails."""

from __future__ import annotations

from bot.domain.deploy import DeployPolicy, ExitCode, TemplateChange
from bot.domain.kinds import CODE
from bot.domain.releases import ReleaseStatus
from bot.kinds.code import KIND as CODE_KIND
from bot.services.deploy.guard import GuardPorts, guarded_change
from bot.services.drift import check_drift
from tests.deploy.support import APP, RULES, TARGET, V1, V2, azure_writes, deploy_world, prepare, rules, run_deploy
from tests.harness.world import World

__all__ = ["deploy_world"]


def test_a_good_image_is_promoted_in_the_original_rule_form_and_its_release_marked_good(deploy_world: World) -> None:
    world = deploy_world
    prepare(world)
    report = run_deploy(world, "acr.io/pharmabot:1.6.0", suffix="good1")
    assert report.exit_code is ExitCode.promoted, report.message
    new = f"{APP}--good1"
    # The latestRevision rule is a latestRevision rule again, with its label, and serves the new revision.
    assert rules(world) == [
        {"revisionName": V1, "weight": 0, "label": "blue"},
        {"latestRevision": True, "weight": 100, "label": "green"},
    ]
    assert world.traffic()[new] == 100 and world.traffic()[V2] == 0
    deps = world.runtime.deps
    release = deps.releases.get(TARGET, report.release_id)
    assert release.status is ReleaseStatus.good and release.source == "deploy"
    assert f"{new}=100" in str(release.layer(CODE)) and not check_drift(deps, TARGET).drifted
    assert deps.releases.recent(TARGET)[1].status is ReleaseStatus.unknown  # the state before: not marked


def test_a_bad_image_is_rolled_back_to_exactly_the_pre_deploy_rules_and_its_release_marked_bad(
    deploy_world: World,
) -> None:
    world = deploy_world
    prepare(world)
    report = run_deploy(world, "acr.io/pharmabot:1.6.0-bad", suffix="bad1")
    assert report.exit_code is ExitCode.rolled_back, report.message
    # Every rule, weight and label as before; the latestRevision rule pinned by name to the revision it served.
    assert rules(world) == [
        {"revisionName": V1, "weight": 0, "label": "blue"},
        {"revisionName": V2, "weight": 100, "label": "green"},
    ]
    assert world.traffic()[f"{APP}--bad1"] == 0 and world.traffic()[V2] == 100
    assert "health" in report.message and "503" in report.message
    deps = world.runtime.deps
    release = deps.releases.get(TARGET, report.release_id)
    # The bad release is what the deploy would have served; the state traffic went back to is never marked bad
    # (a release rollback could no longer choose it), and drift does not compare live state with a bad release.
    assert release.status is ReleaseStatus.bad and f"{APP}--bad1=100 acr.io/pharmabot:1.6.0-bad" in str(
        release.layer(CODE)
    )
    before = deps.releases.recent(TARGET)[1]
    assert before.status is ReleaseStatus.unknown and before.note.startswith("before deploy")
    assert not check_drift(deps, TARGET).drifted


def test_the_patch_that_creates_the_revision_gives_it_weight_0_and_pins_the_serving_rules(deploy_world: World) -> None:
    world = deploy_world
    prepare(world)
    run_deploy(world, "acr.io/pharmabot:1.6.0", suffix="wire1")
    creating = azure_writes(world)[0]
    assert creating.method == "PATCH"
    body = creating.body["properties"]
    assert body["template"]["revisionSuffix"] == "wire1"
    assert body["template"]["containers"][0]["image"] == "acr.io/pharmabot:1.6.0"
    assert body["configuration"]["ingress"]["traffic"] == [
        {"revisionName": V1, "weight": 0, "label": "blue"},
        {"revisionName": V2, "weight": 100, "label": "green"},
        {"revisionName": f"{APP}--wire1", "weight": 0},
    ]
    assert RULES[1].get("latestRevision")  # the list before had a latestRevision rule: it never reached the wire


def test_canary_steps_walk_5_25_100_and_a_gate_failing_at_25_rolls_back_from_25(deploy_world: World) -> None:
    world = deploy_world
    prepare(world)
    new = f"{APP}--canary1"
    # The initial gate and step 5's re-check pass; step 25's re-check answers 503.
    world.azure.script_health(APP, new, [200, 200, 503])
    report = run_deploy(world, "acr.io/pharmabot:1.6.0", suffix="canary1", steps=(5, 25, 100))
    assert report.exit_code is ExitCode.rolled_back, report.message
    assert "at step 2 (25 %)" in report.message
    traffic_writes = [w.body["properties"]["configuration"]["ingress"]["traffic"] for w in azure_writes(world)]
    weights = [{r.get("revisionName", "latest"): r["weight"] for r in t}.get(new) for t in traffic_writes]
    assert weights == [0, 5, 25, None]  # created at 0, then 5, then 25, then the restore (no rule for it)
    assert traffic_writes[1] == [
        {"revisionName": V1, "weight": 0, "label": "blue"},
        {"revisionName": V2, "weight": 95, "label": "green"},
        {"revisionName": new, "weight": 5},
    ]
    assert rules(world) == [
        {"revisionName": V1, "weight": 0, "label": "blue"},
        {"revisionName": V2, "weight": 100, "label": "green"},
    ]


def test_an_environment_variable_change_goes_through_the_same_guard(deploy_world: World) -> None:
    """What a database cut-over does: set one variable on the template, gated like an image (others kept)."""
    world = deploy_world
    prepare(world)
    deps = world.runtime.deps
    handle = deps.environment(TARGET).handle(CODE_KIND)
    assert deps.probe is not None
    ports = GuardPorts(
        api=handle.api,
        ref=handle.ref,
        health_url_of=handle.health_url_of,
        probe=deps.probe,
        telemetry=None,
        clock=deps.clock,
        pause=lambda seconds: None,
    )
    change = TemplateChange(env=(("DATABASE_HOST", "pharmabot-db-restored.postgres.database.azure.com"),))
    result = guarded_change(
        ports, change, suffix="cutover", settings=DeployPolicy(step_seconds=0, health_interval_seconds=0)
    )
    assert result.promoted, result.reason
    creating = azure_writes(world)[0].body["properties"]["template"]["containers"][0]
    assert creating["env"] == [{"name": "DATABASE_HOST", "value": "pharmabot-db-restored.postgres.database.azure.com"}]
    assert creating["image"] == "pharmabotacr.azurecr.io/pharmabot:1.5.0"  # the image stays what it was
    assert world.traffic()[f"{APP}--cutover"] == 100
