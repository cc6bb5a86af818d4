"""Schema rollbacks executed over the Azure emulator, the Slack fake and the real bot (SQLite and PostgreSQL):
a down-migration as a job, a point-in-time restore into a new server, the cut-over to it through a health gate."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.db.engine import make_engine
from bot.domain.rollback_requests import RequestStatus
from bot.errors import SamePersonError, UsageError
from tests.e2e.schema_support import (
    JOB,
    SOURCE_ID,
    approve,
    finished,
    head_of,
    open_schema,
    schema_world,
    wait_thread,
    writes_to_the_original_server,
)
from tests.harness.world import ALICE, BOB, RG, SUB, World

APP = "pharmabot-prod"


@pytest.fixture
def world(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from schema_world(db_url, tmp_path_factory)


def _head(world: World) -> str:
    engine = make_engine(world.settings.database_url)
    try:
        return head_of(engine)
    finally:
        engine.dispose()


def test_a_down_migration_runs_the_job_with_the_exact_command_and_verifies_the_head(world: World) -> None:
    request = open_schema(world)  # default: down to the last good release's head
    approve(world, request)
    done = finished(world, request.id)
    assert done.status is RequestStatus.succeeded, done.result
    (execution,) = world.azure.job_executions(SUB, RG, JOB)
    container = execution["properties"]["template"]["containers"][0]
    assert container["name"] == "migrate" and container["command"] == ["alembic", "downgrade", "a1"]
    assert execution["properties"]["status"] == "Succeeded"
    assert _head(world) == "a1"
    wait_thread(world, done, f"{execution['name']}: Succeeded", "migration head is a1", "Rollback verified")
    assert writes_to_the_original_server(world) == []


def test_a_failing_job_ends_the_request_failed_with_the_jobs_status(world: World) -> None:
    world.azure.script_job(JOB, status="Failed", seconds=0.3)
    request = open_schema(world, "down:a1")
    approve(world, request)
    done = finished(world, request.id)
    (execution,) = world.azure.job_executions(SUB, RG, JOB)
    assert done.status is RequestStatus.failed
    assert f"Job execution {execution['name']} ended Failed" in (done.result or {}).get("error", "")
    assert _head(world) == "b2"
    wait_thread(world, done, f"{execution['name']} ended Failed")


def test_a_restore_creates_exactly_one_new_server_with_the_right_source_and_point(world: World) -> None:
    world.azure.set_restore_seconds(1.0)
    bad = world.runtime.deps.releases.latest(world_target())
    assert bad is not None
    point = (bad.recorded_at - timedelta(minutes=5)).astimezone(UTC)
    choice = "restore:" + point.strftime("%Y-%m-%dT%H:%M:%SZ")
    request = open_schema(world, choice)
    approve(world, request)
    done = finished(world, request.id)
    assert done.status is RequestStatus.succeeded, done.result
    name = f"pharmabot-db-restored-{point:%Y%m%d%H%M}"
    (put,) = world.azure.requests.matching("PUT", path_contains="/flexibleServers/")
    assert put.path.endswith(f"/flexibleServers/{name}")
    props = put.body["properties"]
    assert props["createMode"] == "PointInTimeRestore"
    assert props["sourceServerResourceId"].lower() == SOURCE_ID.lower()
    assert datetime.fromisoformat(props["pointInTimeUTC"].replace("Z", "+00:00")) == point.replace(microsecond=0)
    assert writes_to_the_original_server(world) == []
    thread = wait_thread(world, done, f"Restore into {name} started", f"{name} is Ready", "cut over")
    assert f"restore into {name}: Provisioning" in thread  # progress while it ran
    card = str(world.slack.message("C0INCIDENT", done.message_ts or ""))
    assert "Data-loss window" in card


def world_target():  # type: ignore[no-untyped-def]
    from tests.e2e.schema_support import TARGET

    return TARGET


def test_a_point_outside_the_restore_window_is_refused_at_plan_time_saying_the_window(world: World) -> None:
    old = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(UsageError) as refused:
        open_schema(world, "restore:" + old)
    assert "outside the restore window of pharmabot-db" in refused.value.user_message
    assert "→" in refused.value.user_message
    assert world.azure.requests.matching("PUT") == []


def _restored(world: World) -> str:
    world.azure.set_restore_seconds(0)
    request = open_schema(world, "restore:" + (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    approve(world, request)
    assert finished(world, request.id).status is RequestStatus.succeeded
    return f"pharmabot-db-restored-{request.created_at - timedelta(hours=1):%Y%m%d%H%M}"


def test_a_cut_over_needs_a_second_approval_goes_through_the_health_gate_at_0_and_then_shifts(world: World) -> None:
    _restored(world)
    (server,) = [s for s in world.azure.state["resources"].values() if "-restored-" in str(s.get("name"))]
    name = server["name"]
    with pytest.raises(SamePersonError, match="You approved request #"):
        open_schema(world, f"cutover:{name}", requester=BOB)  # bob approved the restore: someone else asks
    refused = [e.event for e in world.runtime.deps.audit.list(limit=50)]
    assert "refused.same_person" in refused
    request = open_schema(world, f"cutover:{name}", requester=ALICE)
    approve(world, request, approver=ALICE)  # the requester cannot approve it
    world.wait(lambda: bool(world.slack.ephemerals(user_id=ALICE)), what="the refusal")
    assert world.runtime.deps.requests.get(request.id).status is RequestStatus.pending
    before = set(world.traffic())
    world.azure.requests.reset()
    approve(world, request)  # bob, an approver and not the requester
    done = finished(world, request.id)
    assert done.status is RequestStatus.succeeded, done.result
    (new,) = set(world.traffic()) - before
    patches = world.azure.requests.matching("PATCH", path_contains=f"containerApps/{APP}")
    first = patches[0].body["properties"]
    env = first["template"]["containers"][0]["env"]
    assert {"name": "DATABASE_HOST", "value": f"{name}.postgres.database.azure.com"} in env
    rules = first["configuration"]["ingress"]["traffic"]
    assert all(r["weight"] == 0 for r in rules if r.get("revisionName") == new or r.get("latestRevision"))  # 0 %
    gate = [r for r in world.azure.requests.snapshot() if r.path.startswith(f"/_apps/{APP}/{new}")]
    assert gate and world.azure.requests.snapshot().index(gate[0]) < world.azure.requests.snapshot().index(patches[-1])
    assert world.traffic()[new] == 100
    wait_thread(world, done, "az postgres flexible-server delete", "pharmabot-db is kept")
    assert writes_to_the_original_server(world) == []


def test_a_cut_over_whose_new_revision_fails_the_gate_moves_no_traffic(world: World) -> None:
    name = _restored(world)
    serving = {k: v for k, v in world.traffic().items() if v}
    world.azure.script_health(APP, f"db-{name.rsplit('-', 1)[-1]}", [503])  # the cut-over's revision fails its gate
    request = open_schema(world, f"cutover:{name}")
    approve(world, request)
    done = finished(world, request.id)
    assert done.status is RequestStatus.failed
    assert "did not pass the deploy guard" in (done.result or {}).get("error", "")
    assert {k: v for k, v in world.traffic().items() if v} == serving
    app = world.azure.state["resources"][
        f"/subscriptions/{SUB}/resourcegroups/{RG}/providers/microsoft.app/containerapps/{APP}"
    ]
    env = app["properties"]["template"]["containers"][0].get("env") or []
    assert all(e["name"] != "DATABASE_HOST" for e in env)  # the template is back as it was (the variable unset)
    assert "set back to unset" in (done.result or {}).get("error", "")
    assert writes_to_the_original_server(world) == []


def _backup_item(world: World) -> tuple[str, tuple[str, ...], str]:
    from bot.domain.kinds import SCHEMA
    from bot.domain.readiness import CheckKey, CheckResult
    from bot.kinds import CheckInputs
    from tests.e2e.schema_support import TARGET

    policy = world.runtime.deps.catalog.resolve("pharmabot", "prod")
    bound = world.runtime.deps.environment(TARGET).bound(SCHEMA)
    result = bound.contribute(CheckKey.backup, CheckInputs(TARGET, datetime.now(UTC), policy.checklist))
    assert isinstance(result, CheckResult)
    return result.status.value, result.evidence, result.summary


def test_the_checklist_backup_item_says_whether_the_restore_window_covers_the_last_good_release(world: World) -> None:
    status, evidence, summary = _backup_item(world)
    assert status == "pass" and "to the last good release #1" in summary
    assert any(
        line.startswith("the restore window (from ") and "covers the last good release" in line for line in evidence
    )
    with world.azure.lock:  # the window shrinks: the earliest restore point is now after the good release
        server = world.azure.state["resources"][SOURCE_ID.lower()]
        server["properties"]["backup"]["earliestRestoreDate"] = datetime.now(UTC).isoformat()
    status, evidence, summary = _backup_item(world)
    assert status == "warn" and "no longer covers the last good release #1" in summary


def test_a_cut_over_only_goes_to_a_server_restored_from_the_applications_own(world: World) -> None:
    for other in ("pharmabot-db", "pharmabot-db-staging"):
        with pytest.raises(UsageError, match="restored from pharmabot-db"):
            open_schema(world, f"cutover:{other}")
    assert world.azure.requests.matching("PATCH") == []
