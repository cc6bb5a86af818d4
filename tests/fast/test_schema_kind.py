"""The schema kind over fakes: down-migration through a job, restore into a new server, the window, re-attach."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.azure import JobContainer, JobRef
from bot.domain.kinds import SCHEMA
from bot.domain.plan import StepResult
from bot.domain.releases import Layer, LayerItem, NewRelease, ReleaseStatus
from bot.errors import AzureOperationError, UsageError
from bot.kinds import KindServices
from bot.kinds.schema import KIND, MigrationJob, Pace, PostgresHandle
from tests.fakes import (
    NOW,
    SERVER,
    TARGET,
    Clock,
    FakeJobs,
    FakeMigrationHead,
    FakeProbe,
    FakeReleases,
    _estate,
)

pytestmark = pytest.mark.fast

FAST = Pace(restore_timeout=timedelta(minutes=1), poll_seconds=0.0, progress_every=timedelta(0))


def _release(releases: FakeReleases, head: str, status: ReleaseStatus, hours_ago: float) -> int:
    layer = Layer(SCHEMA, (LayerItem("migration head", head, f"migration head {head}"),))
    recorded = releases.record(NewRelease(TARGET, NOW - timedelta(hours=hours_ago), "cli", "alice", "", (layer,)))
    if status is not ReleaseStatus.unknown:
        releases.mark(TARGET, recorded.id, status, actor="alice", at=NOW)
    return recorded.id


def _bound(*, with_job: bool = True, job_timeout: timedelta = timedelta(minutes=30)):  # type: ignore[no-untyped-def]
    clock = Clock()
    _, _, _, postgres = _estate(clock)
    head = FakeMigrationHead("b2")
    jobs = FakeJobs(
        [JobContainer("migrate", "acr.io/app:1.5.0")], on_success=lambda cmd: setattr(head, "value", cmd[-1])
    )
    releases = FakeReleases()
    _release(releases, "a1", ReleaseStatus.good, 5)
    _release(releases, "b2", ReleaseStatus.bad, 1)
    job = MigrationJob(
        jobs, JobRef("s", "rg", "migrate-job"), "migrate", ("alembic", "downgrade", "{target}"), job_timeout
    )
    handle = PostgresHandle(
        api=postgres,
        ref=SERVER,
        migrations=head,
        job=job if with_job else None,
        history=lambda: releases.recent(TARGET),
        pace=FAST,
    )
    return KIND.bind(handle, KindServices(clock=clock, probe=FakeProbe())), postgres, jobs, head


def test_down_migration_runs_the_exact_command_and_verifies_the_head() -> None:
    bound, _, jobs, head = _bound()
    plan = bound.plan()
    assert plan.executable and plan.choice == "down:a1"
    assert "alembic downgrade a1" in plan.commands[0] and "--container-name migrate" in plan.commands[0]
    steps = list(bound.execute(plan))
    assert [r.command for r in jobs.runs.values()] == [("alembic", "downgrade", "a1")]
    assert steps[-1].detail.endswith("Succeeded") and head.value == "a1"
    assert bound.verify(plan).ok


def test_a_failed_job_raises_with_the_execution_status() -> None:
    bound, _, jobs, head = _bound()
    jobs.outcome = "Failed"
    with pytest.raises(AzureOperationError, match="ended Failed"):
        list(bound.execute(bound.plan()))
    assert head.value == "b2"


def test_a_resumed_down_migration_re_attaches_to_the_running_execution() -> None:
    bound, _, jobs, _ = _bound()
    plan = bound.plan()
    jobs.start(
        JobRef("s", "rg", "migrate-job"), container=JobContainer("migrate", "x"), command=["alembic", "downgrade", "a1"]
    )
    steps = list(bound.execute(plan))
    assert len(jobs.runs) == 1 and steps[0].name == "re-attach to the job execution"


def test_restore_is_the_default_without_a_job_and_creates_one_new_server() -> None:
    bound, postgres, _, _ = _bound(with_job=False)
    plan = bound.plan()
    point = NOW - timedelta(hours=1, minutes=5)
    assert plan.executable and plan.desired.subject == f"pharmabot-db-restored-{point:%Y%m%d%H%M}"
    assert any("Data-loss window" in r for r in plan.risks)
    steps = list(bound.execute(plan))
    assert postgres.restored == [(plan.desired.subject, point)]
    assert any(isinstance(s, StepResult) and s.progress for s in steps)
    assert bound.verify(plan).ok and postgres.server.state == "Ready"


def test_a_restore_taken_over_follows_the_server_being_created() -> None:
    bound, postgres, _, _ = _bound(with_job=False)
    plan = bound.plan()
    postgres.ready_after = None
    first = bound.execute(plan)
    assert next(first).name == "start the restore"
    live = bound.capture(plan)
    assert live.value == "Provisioning" and bound.moved_by_others(plan.current, plan.desired, live) == ()
    postgres.ready_after = 2
    steps = list(bound.execute(replace(plan, current=live)))
    assert steps[0].name == "re-attach to the restore" and len(postgres.restored) == 1


def test_a_point_outside_the_restore_window_is_refused_at_plan_time_saying_the_window() -> None:
    bound, postgres, _, _ = _bound(with_job=False)
    plan = bound.plan(choice="restore:" + (NOW - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert not plan.executable and "outside the restore window" in (plan.blocked_reason or "")
    assert "→" in (plan.blocked_reason or "") and postgres.restored == []


def test_a_crafted_choice_is_refused_a_cut_over_to_a_server_not_restored_from_ours_too() -> None:
    bound, _, _, _ = _bound()
    with pytest.raises(UsageError, match="down:<head>"):
        bound.plan(choice="down:a1; rm -rf /")
    with pytest.raises(UsageError):
        bound.plan(choice="cutover:pharmabot-db")
    with pytest.raises(UsageError, match="not a schema rollback"):
        bound.plan(choice="drop:everything")


def test_a_restore_past_its_own_bound_fails_saying_it_goes_on_in_azure_and_how_to_check() -> None:
    clock = Clock()
    _, _, _, postgres = _estate(clock)
    postgres.ready_after = None  # never Ready
    releases = FakeReleases()
    _release(releases, "a1", ReleaseStatus.good, 5)
    _release(releases, "b2", ReleaseStatus.unknown, 1)
    pace = Pace(restore_timeout=timedelta(0), poll_seconds=0.0, progress_every=timedelta(hours=1))
    handle = PostgresHandle(api=postgres, ref=SERVER, history=lambda: releases.recent(TARGET), pace=pace)
    bound = KIND.bind(handle, KindServices(clock=clock, probe=FakeProbe()))
    with pytest.raises(AzureOperationError) as caught:
        list(bound.execute(bound.plan()))
    text = caught.value.user_message
    assert "still Provisioning" in text and "goes on in Azure" in text and "az postgres flexible-server show" in text
    assert len(postgres.restored) == 1


def test_a_job_execution_past_its_bound_fails_saying_how_to_check_it() -> None:
    bound, _, jobs, head = _bound(job_timeout=timedelta(0))
    jobs.finish_after = 10**6
    with pytest.raises(AzureOperationError, match="still Running") as caught:
        list(bound.execute(bound.plan()))
    assert "az containerapp job execution show" in caught.value.user_message
    assert head.value == "b2"


def test_a_restore_taken_over_keeps_the_bound_counted_from_when_it_began() -> None:
    bound, postgres, _, _ = _bound(with_job=False)
    plan = bound.plan()
    assert plan.desired is not None
    name = plan.desired.subject
    postgres.ready_after = None
    postgres.servers[name] = replace(postgres.server, name=name, state="Provisioning", created=NOW - timedelta(hours=5))
    with pytest.raises(AzureOperationError, match="after 1 min since it began"):
        list(bound.execute(replace(plan, current=bound.capture(plan))))
    assert postgres.restored == []  # re-attached: never started another restore
