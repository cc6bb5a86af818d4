"""Releases over the fakes: what a release records, the release rollback's plan, order, failure rule and guards."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.kinds import CODE, EMBEDDING, MODEL, PROMPT, RELEASE, SCHEMA
from bot.domain.releases import ReleaseStatus
from bot.domain.rollback_requests import RequestStatus
from bot.domain.traffic import TrafficRule, TrafficRules
from bot.domain.tree import FlowState
from bot.errors import AzureAuthError, NotFoundError, RollbackBotError, StalePlanError, UsageError
from bot.services import rollbacks
from bot.services.drift import check_drift, post_drift
from bot.services.execution import claim_due, execute_request
from bot.services.flow import what_changed
from bot.services.releases import mark_release, record_release
from bot.services.replica import LocalExecutions
from tests.fakes import ALICE, APP, BOB, CHANNEL, TARGET, FakeMigrationHead, FakeSearch, FastWorld, fast_world

pytestmark = pytest.mark.fast
V1, V2 = f"{APP.name}--v1", f"{APP.name}--v2"
RELEASE_FLOW = FlowState(CHANNEL, TARGET.service, TARGET.environment, True, RELEASE)


def _state(world: FastWorld, *, good: bool) -> None:
    """Move every layer to the known-good state (v1, drug_info v3, gpt-4o 2024-05-13, drugs-v1) or the bad one."""
    world.apps.rules = TrafficRules.named({V1: 100, V2: 0} if good else {V1: 0, V2: 100})
    version = 3 if good else 4
    if world.prompts.inner.active("drug_info").version != version:  # type: ignore[union-attr]
        world.prompts.inner.activate("drug_info", version, actor="U0DEPLOYER", reason="deploy")
    dep = world.models.deployments["gpt4o-stable"]
    world.models.deployments["gpt4o-stable"] = replace(dep, version="2024-05-13" if good else "2024-08-06")
    world.search.aliases["drugs"] = "drugs-v1" if good else "drugs-v2"


def _good_release(world: FastWorld) -> int:
    """Release #N of the known-good state, marked good; live state is the bad one again afterwards."""
    _state(world, good=True)
    release = record_release(world.deps, TARGET, source="cli", actor="cli:alice", note="deploy 1.4.2")
    mark_release(world.deps, TARGET, release.id, ReleaseStatus.good, actor="cli:alice")
    _state(world, good=False)
    return release.id


def _open(world: FastWorld, choice: str | None = None) -> int:
    state = RELEASE_FLOW.with_(choice=choice)
    return rollbacks.open_request(world.deps, state=state, reason="bad release", requester_id=ALICE).id


def _approve_and_run(world: FastWorld, request_id: int) -> Any:
    rollbacks.approve(world.deps, request_id=request_id, user_id=BOB)
    world.run_jobs()
    return world.requests.get(request_id)


def _step_names(world: FastWorld, request_id: int) -> list[str]:
    return [
        e.detail["step"] for e in world.audit.list(request_id=request_id, limit=10_000) if e.event == "execution.step"
    ]


def test_a_release_records_every_layer_with_what_compares_and_what_plans_it_back() -> None:
    world = fast_world()
    release = record_release(world.deps, TARGET, source="cli", actor="cli:alice")
    assert [layer.kind for layer in release.layers] == [CODE, PROMPT, MODEL, EMBEDDING]  # schema: no migrations
    code = release.layer(CODE).items[0]  # type: ignore[union-attr]
    assert code.target == V2 and "v2 100 %" in code.text
    assert release.layer(PROMPT).item("drug_info").target == "drug_info@4"  # type: ignore[union-attr]
    model = release.layer(MODEL).item("gpt4o-stable")  # type: ignore[union-attr]
    assert model.value == "gpt-4o 2024-08-06" and model.target == "gpt4o-stable@2024-08-06"
    assert "NoAutoUpgrade" in model.warning and "az rest --method put" in model.warning  # Azure may move it
    assert release.layer(EMBEDDING).item("drugs").target == "drugs-v2"  # type: ignore[union-attr]
    assert release.status is ReleaseStatus.unknown and world.audit.names()[-1] == "release.recorded"


def test_the_code_layer_compares_what_serves_not_the_rule_form() -> None:
    world = fast_world()
    world.apps.revisions.pop(V2)
    world.apps.rules = TrafficRules.of(TrafficRule(100, latest_revision=True))
    latest = record_release(world.deps, TARGET, source="cli", actor="t").layer(CODE)
    world.apps.rules = TrafficRules.named({V1: 100})
    pinned = record_release(world.deps, TARGET, source="cli", actor="t").layer(CODE)
    assert latest == pinned


def test_a_layer_that_cannot_be_read_records_nothing() -> None:
    world = fast_world()
    world.search.faults.fail_next("get_alias", AzureAuthError("the bot's identity lacks Search Service Contributor"))
    with pytest.raises(RollbackBotError, match="embedding: the bot's identity lacks"):
        record_release(world.deps, TARGET, source="cli", actor="t")
    assert world.releases.releases == []


def test_marking_checks_the_status_and_the_target() -> None:
    world = fast_world()
    release = record_release(world.deps, TARGET, source="cli", actor="t")
    with pytest.raises(UsageError):
        mark_release(world.deps, TARGET, release.id, ReleaseStatus.unknown, actor="t")
    with pytest.raises(NotFoundError):
        mark_release(world.deps, replace(TARGET, environment="staging"), release.id, ReleaseStatus.good, actor="t")
    assert mark_release(world.deps, TARGET, release.id, ReleaseStatus.bad, actor="t").status is ReleaseStatus.bad


def test_the_plan_lists_per_layer_live_to_recorded_only_what_differs() -> None:
    world = fast_world()
    number = _good_release(world)
    world.search.aliases["drugs"] = "drugs-v1"  # the alias is back already: not in the plan
    plan = world.bound(RELEASE).plan()
    assert plan.executable and plan.choice == str(number)
    assert plan.current_text.splitlines() == [
        f"code · {APP.name}: {V2} 100 % (app:{V2})",
        "prompt · drug_info v4 active",
        "model · gpt4o-stable: gpt-4o 2024-08-06 (OnceNewDefaultVersionAvailable)",
    ]
    assert plan.desired_text.splitlines()[0] == f"code · {APP.name}: {V1} 100 % (app:{V1})"
    assert "drug_info v3 active" in plan.desired_text and "2024-05-13" in plan.desired_text
    assert "drugs" not in plan.desired_text
    assert [s.split(":")[0] for s in plan.steps] == ["code"] * 3 + ["prompt"] * 2 + ["model"] * 2 + ["verify release"]
    assert "code first, then prompt and model together" in plan.note
    assert plan.commands[0] == f"# code: {APP.name}" and any('"version":"2024-05-13"' in c for c in plan.commands)


def test_schema_is_listed_as_a_separate_request_and_never_run() -> None:
    head = FakeMigrationHead("a1b2c3")
    world = fast_world(migrations=head)
    _good_release(world)
    head.value = "d4e5f6"
    plan = world.bound(RELEASE).plan()
    assert "schema · migration head a1b2c3 (separate request)" in plan.desired_text
    assert any("needs its own request" in r for r in plan.risks)
    assert not any(s.startswith("schema") for s in plan.steps)
    _state(world, good=True)  # only the schema differs now: nothing for a release rollback to run
    blocked = world.bound(RELEASE).plan()
    assert not blocked.executable and "already matches" in (blocked.blocked_reason or "")
    assert "separate request" in blocked.desired_text


def test_no_good_release_or_an_unknown_one_is_said_plainly() -> None:
    world = fast_world()
    assert "record one" in (world.bound(RELEASE).plan().blocked_reason or "")
    record_release(world.deps, TARGET, source="cli", actor="t")
    assert "marked good" in (world.bound(RELEASE).plan().blocked_reason or "")
    with pytest.raises(UsageError, match="no release #99"):
        world.bound(RELEASE).plan(choice="99")
    bad = record_release(world.deps, TARGET, source="cli", actor="t")
    mark_release(world.deps, TARGET, bad.id, ReleaseStatus.bad, actor="t")
    with pytest.raises(UsageError, match="marked bad"):
        world.bound(RELEASE).plan(choice=str(bad.id))


def test_one_approval_restores_every_layer_code_first_each_verified_then_records_a_release() -> None:
    world = fast_world()
    number = _good_release(world)
    request = _approve_and_run(world, _open(world))
    assert request.status is RequestStatus.succeeded, request.result
    assert world.apps.rules.weights(world.apps.latest) == {V1: 100, V2: 0}
    assert world.prompts.inner.active("drug_info").version == 3  # type: ignore[union-attr]
    assert world.models.deployments["gpt4o-stable"].version == "2024-05-13"
    assert world.search.aliases["drugs"] == "drugs-v1"
    names = _step_names(world, request.id)
    assert names[:4] == ["code: shift traffic", "code: verify traffic", "code: health check"][:3] + names[3:4]
    assert {n.split(":")[0] for n in names[3:-1]} == {"prompt", "model", "embedding"}
    assert names[-1] == "verify release" and len(world.requests.list_recent()) == 1
    newest = world.releases.latest(TARGET)
    assert newest is not None and newest.id == number + 1 and newest.source == "rollback"


def test_prompt_model_and_embedding_run_at_the_same_time() -> None:
    """A barrier that prompt, model and alias writes must all reach: run one after another, it would break."""
    world = fast_world()
    _good_release(world)
    barrier = threading.Barrier(3, timeout=5)
    for fake, op in ((world.prompts, "activate"), (world.models, "set_model_version"), (world.search, "set_alias")):
        run = fake.faults.run

        def waiting(name: str, action: Any, run: Any = run, op: str = op) -> Any:
            if name == op:
                barrier.wait()
            return run(name, action)

        fake.faults.run = waiting  # type: ignore[method-assign]
    request = _approve_and_run(world, _open(world))
    assert request.status is RequestStatus.succeeded, request.result


class _SlowAlias(FakeSearch):
    """The rollback's own read of the alias (before it writes) is under way when the model write fails, and
    answers only after that: the embedding layer has not started writing when the model fails."""

    def __init__(self, inner: FakeSearch, reading: threading.Event, model_failed: threading.Event) -> None:
        self.__dict__.update(inner.__dict__)
        self._reading, self._failed = reading, model_failed

    def get_alias(self, ref: Any) -> Any:
        if threading.current_thread().name == "release-embedding":
            self._reading.set()
            assert self._failed.wait(5)
        return super().get_alias(ref)


def test_a_model_failure_stops_the_rollback_with_what_was_done_and_what_was_not() -> None:
    world = fast_world()
    _good_release(world)
    request_id = _open(world)
    reading, model_failed = threading.Event(), threading.Event()

    def failing(name: str, action: Any, run: Any = world.models.faults.run) -> Any:
        if name == "set_model_version":
            assert reading.wait(5)  # the alias is being read for its layer's own check
            model_failed.set()
            raise AzureAuthError("the bot's identity lacks Cognitive Services Contributor on pharmabot-openai")
        return run(name, action)

    world.models.faults.run = failing  # type: ignore[method-assign]
    alias = world.bound(EMBEDDING)._api  # type: ignore[attr-defined]
    world.bound(EMBEDDING)._api = _SlowAlias(alias, reading, model_failed)  # type: ignore[attr-defined]
    request = _approve_and_run(world, request_id)
    assert request.status is RequestStatus.failed
    error = request.result["error"]
    assert "model (gpt4o-stable) failed: the bot's identity lacks Cognitive Services Contributor" in error
    assert "Done and verified: code (pharmabot-prod), prompt (drug_info)." in error
    assert "Not done: embedding (drugs)." in error
    assert world.apps.rules.weights(world.apps.latest) == {V1: 100, V2: 0}
    assert world.prompts.inner.active("drug_info").version == 3  # type: ignore[union-attr]
    assert world.models.deployments["gpt4o-stable"].version == "2024-08-06"
    assert world.search.aliases["drugs"] == "drugs-v2"  # untouched
    assert not any(n.startswith("embedding") for n in _step_names(world, request_id))
    assert world.releases.latest(TARGET).source != "rollback"  # type: ignore[union-attr]


def test_a_failed_code_layer_starts_nothing_else() -> None:
    world = fast_world()
    _good_release(world)
    request_id = _open(world)
    world.probe.status[f"https://{V1}.app.invalid/health/ready"] = 503
    request = _approve_and_run(world, request_id)
    assert request.status is RequestStatus.failed
    assert "Not done: prompt (drug_info), model (gpt4o-stable), embedding (drugs)." in request.result["error"]
    assert world.prompts.inner.active("drug_info").version == 4  # type: ignore[union-attr]
    assert world.search.aliases["drugs"] == "drugs-v2"


@pytest.mark.parametrize("move", ["alias", "traffic-not-in-plan", "schema-listed-not-run"])
def test_the_plan_is_stale_when_any_layer_moved(move: str) -> None:
    head = FakeMigrationHead("a1b2c3")
    world = fast_world(migrations=head)
    _good_release(world)
    if move == "traffic-not-in-plan":
        world.apps.rules = TrafficRules.named({V1: 100, V2: 0})  # code matches the release: not in the plan
    request_id = _open(world)
    if move == "alias":
        world.search.aliases["drugs"] = "drugs-v1"
    elif move == "traffic-not-in-plan":
        world.apps.rules = TrafficRules.named({V1: 50, V2: 50})
    else:
        head.value = "d4e5f6"  # a migration ran: the plan's schema line is out of date
    with pytest.raises(StalePlanError):
        rollbacks.approve(world.deps, request_id=request_id, user_id=BOB)
    assert world.requests.get(request_id).status is RequestStatus.cancelled
    assert world.jobs == []


def test_an_item_that_moves_after_approval_stops_it_before_any_write() -> None:
    world = fast_world()
    _good_release(world)
    request_id = _open(world)
    rollbacks.approve(world.deps, request_id=request_id, user_id=BOB)
    world.search.aliases["drugs"] = "drugs-v3-hotfix"
    world.search.counts["drugs-v3-hotfix"] = 1
    world.run_jobs()
    request = world.requests.get(request_id)
    assert request.status is RequestStatus.failed
    assert "embedding drugs index changed by someone else" in request.result["error"]
    assert world.search.aliases["drugs"] == "drugs-v3-hotfix"
    assert world.apps.rules.weights(world.apps.latest) == {V1: 0, V2: 100}  # nothing was written


def test_an_approved_release_rollback_runs_once() -> None:
    world = fast_world()
    _good_release(world)
    request_id = _open(world)
    rollbacks.approve(world.deps, request_id=request_id, user_id=BOB)
    execute_request(world.deps, request_id=request_id)
    execute_request(world.deps, request_id=request_id)  # a double click, a retry, another replica
    world.run_jobs()
    assert world.audit.names(request_id).count("execution.started") == 1
    assert world.models.faults.calls.count("set_model_version") == 1


def test_what_changed_preselects_the_release_when_several_layers_differ() -> None:
    world = fast_world()
    number = _good_release(world)
    found = what_changed(world.deps, RELEASE_FLOW.with_(kind=None))
    # the evidence (the serving revision is unhealthy) points at the code layer alone: code, saying why
    assert found.recommended == CODE and "Unhealthy" in found.reason
    # without evidence for one layer, the release several layers differ from
    world.apps.revisions[V2] = replace(world.apps.revisions[V2], health_state="Healthy", running_state="Running")
    found = what_changed(world.deps, RELEASE_FLOW.with_(kind=None))
    assert found.recommended == RELEASE and found.reason.startswith("4 layers differ")
    option = next(o for o in found.options if o.kind == RELEASE)
    assert option.label == f"everything back to release #{number}" and "4 layers differ" in option.note
    _state(world, good=True)
    world.prompts.inner.activate("drug_info", 4, actor="U0DEPLOYER", reason="hand")  # one layer differs
    assert what_changed(world.deps, RELEASE_FLOW.with_(kind=None)).recommended is None  # and no evidence


def test_release_rollbacks_are_never_drilled() -> None:
    from bot.services import drills

    world = fast_world(only=[SCHEMA, RELEASE])
    with pytest.raises(UsageError, match="nothing to drill"):
        drills.run_drill(world.deps, target=TARGET, kind=RELEASE, actor="t")


@pytest.mark.parametrize("how_far", ["code", "everything", "moved-by-someone"])
def test_a_release_rollback_whose_replica_died_is_resumed_from_where_it_stopped(how_far: str) -> None:
    world = fast_world()
    _good_release(world)
    request_id = _open(world)
    rollbacks.approve(world.deps, request_id=request_id, user_id=BOB)
    world.jobs.clear()  # the replica that claimed it died …
    assert world.requests.claim(request_id, replica="a-replica-that-died", lease_seconds=15) is not None
    world.apps.rules = TrafficRules.named({V1: 100, V2: 0})  # … after it moved the traffic
    if how_far == "everything":
        _state(world, good=True)  # … or after it had made every write
        dep = world.models.deployments["gpt4o-stable"]
        world.models.deployments["gpt4o-stable"] = replace(dep, version_upgrade_option="NoAutoUpgrade")
    if how_far == "moved-by-someone":
        world.search.aliases["drugs"] = "drugs-v3-hotfix"  # meanwhile someone pointed the alias elsewhere
        world.search.counts["drugs-v3-hotfix"] = 1
    writes = len(world.apps.faults.calls)
    world.clock.advance(seconds=16)  # its lease ran out: another replica resumes it
    another = replace(world.deps, local=LocalExecutions(), replica_id="replica-b")
    assert claim_due(another) == [request_id]
    world.run_jobs()
    done = world.requests.get(request_id)
    names = [s["name"] for s in done.result["steps"]]
    if how_far == "moved-by-someone":
        assert done.status is RequestStatus.failed and "changed by someone else" in done.result["error"]
        assert "embedding drugs" in done.result["error"] and world.search.aliases["drugs"] == "drugs-v3-hotfix"
        return
    assert done.status is RequestStatus.succeeded and done.claims == 2, done.result
    assert "set_traffic" not in world.apps.faults.calls[writes:]  # the code layer is not written again
    if how_far == "everything":  # every write had landed: verified, nothing written again
        assert names == ["already applied", "verify release"], names
    else:  # the code layer is only verified; the others are written
        assert "code: verify traffic" in names and "code: shift traffic" not in names
        assert {"prompt: activate version", "model: pin model version", "embedding: point alias"} <= set(names)
    assert world.releases.latest(TARGET).source == "rollback"  # type: ignore[union-attr]


def test_when_the_steps_cannot_be_recorded_no_other_layer_starts_writing() -> None:
    world = fast_world()
    _good_release(world)
    reading, closed = threading.Event(), threading.Event()
    alias = world.bound(EMBEDDING)._api  # type: ignore[attr-defined]
    world.bound(EMBEDDING)._api = _SlowAlias(alias, reading, closed)  # type: ignore[attr-defined]
    plan = world.bound(RELEASE).plan()
    steps = world.bound(RELEASE).execute(plan)
    names = [next(steps).name for _ in range(4)]  # the code layer, verified, then the first step of the others
    assert names[0] == "code: shift traffic" and names[3].split(":")[0] in ("prompt", "model")
    assert reading.wait(5)  # meanwhile the alias is being read for its own check
    steps.close()  # the caller failed to record a step (its database is down) and stopped listening
    closed.set()
    for thread in [t for t in threading.enumerate() if t.name.startswith("release-")]:
        thread.join(5)
    assert world.search.aliases["drugs"] == "drugs-v2"  # it did not start writing


def test_a_deployment_azure_may_upgrade_is_a_checklist_warning_with_the_exact_pin() -> None:
    from bot.services.checklist_runs import run_checklist

    world = fast_world()
    item2 = run_checklist(world.deps, target=TARGET, trigger="cli").report.results[1]
    assert item2.status.value == "warn" and "Azure may upgrade gpt4o-stable by itself" in item2.summary
    # the pin keeps the version it runs (the rollback's own command is a PUT too, with the previous version)
    pin = next(c for c in item2.commands if c.startswith("az rest --method put") and '"version":"2024-08-06"' in c)
    assert "deployments/gpt4o-stable?api-version=" in pin and '"versionUpgradeOption":"NoAutoUpgrade"' in pin
    assert '"version":"2024-08-06"' in pin and '"capacity":10' in pin  # everything else as it is
    assert "release: no release is marked good yet" in " ".join(item2.evidence)
    dep = world.models.deployments["gpt4o-stable"]
    world.models.deployments["gpt4o-stable"] = replace(dep, version_upgrade_option="NoAutoUpgrade")
    pinned = run_checklist(world.deps, target=TARGET, trigger="cli").report.results[1]
    assert pinned.status.value == "pass" and not any('"version":"2024-08-06"' in c for c in pinned.commands)


def test_a_release_rollback_is_proved_by_what_its_code_layer_restores() -> None:
    from bot.domain.signals import SignalQuery
    from tests.fakes import FakeTelemetry

    telemetry = FakeTelemetry(tables={SignalQuery.by_revision: lambda window: (("revision", "calls", "errors"), ())})
    world = fast_world(telemetry=telemetry)
    _good_release(world)
    request = _approve_and_run(world, _open(world))
    assert request.status is RequestStatus.succeeded, request.result
    [watch] = world.watches.watches.values()
    assert (watch.subject.describe(), watch.request_id) == (f"revision {V1}", request.id)


def test_a_replica_that_lost_the_execution_writes_nothing_more() -> None:
    from bot.errors import LeaseLostError
    from bot.kinds import write_fence

    world = fast_world()
    _good_release(world)
    plan = world.bound(RELEASE).plan()
    fences: list[str] = []

    def fence() -> None:  # the lease is renewed for the code layer, then another replica takes the execution over
        fences.append(threading.current_thread().name)
        if len(fences) > 1:
            raise LeaseLostError("request #1 is no longer executed by this replica")

    with write_fence(fence), pytest.raises(LeaseLostError):
        list(world.bound(RELEASE).execute(plan))
    assert world.apps.rules.weights(world.apps.latest) == {V1: 100, V2: 0}  # written before the lease was lost
    assert world.prompts.inner.active("drug_info").version == 4  # type: ignore[union-attr]
    assert (
        world.models.deployments["gpt4o-stable"].version == "2024-08-06" and world.search.aliases["drugs"] == "drugs-v2"
    )
    assert {name.split("-")[1] for name in fences} >= {"code"}  # checked on each layer's own thread


def test_a_replica_whose_clock_runs_ahead_does_not_post_drift_another_replica_is_posting() -> None:
    """Drift claims live on the database's clock: a replica two hours ahead sees the first replica's claim
    as held (on its own clock the claim's lease would already have run out, and the drift would go out twice)."""
    world = fast_world()
    record_release(world.deps, TARGET, source="cli", actor="cli:alice")
    world.search.aliases["drugs"] = "drugs-v1"  # someone pointed the alias by hand
    report = check_drift(world.deps, TARGET)
    assert report.drifted
    ahead = replace(world.deps, clock=lambda: world.clock() + timedelta(hours=2), replica_id="replica-b")
    inner, checked = world.notifier.post_drift, []

    def post_while_the_other_replica_checks(*args: Any, **kwargs: Any) -> str:
        checked.append(post_drift(ahead, report, new_only=True))  # replica B ticks while A's post is under way
        return inner(*args, **kwargs)

    world.notifier.post_drift = post_while_the_other_replica_checks  # type: ignore[method-assign]
    assert post_drift(world.deps, report, new_only=True, replica="replica-a")
    assert checked == [None]
    assert [p.what for p in world.notifier.posted].count("drift") == 1
