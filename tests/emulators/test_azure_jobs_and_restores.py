"""Container Apps jobs and timed point-in-time restores in the Azure emulator, through the real SDK clients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.appcontainers.models import JobExecution, JobExecutionContainer, JobExecutionTemplate
from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient
from azure.mgmt.postgresqlflexibleservers.models import CreateMode, Server, ServerProperties

from sandbox.emulators.azure import AzureEmulator

SUB = "00000000-0000-0000-0000-000000000001"
RG = "pharmabot-rg"
JOB = "pharmabot-migrate"
IMAGE = "pharmabotacr.azurecr.io/pharmabot:1.5.0"
SOURCE = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.DBforPostgreSQL/flexibleServers/pharmabot-db"


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[AzureEmulator]:
    with AzureEmulator(state_dir=tmp_path / "emu") as emulator:
        yield emulator


def _aca(emu: AzureEmulator) -> ContainerAppsAPIClient:
    return ContainerAppsAPIClient(emu.credential, SUB, **emu.client_kwargs())


def _start(emu: AzureEmulator, command: list[str]) -> str:
    template = JobExecutionTemplate(containers=[JobExecutionContainer(name="migrate", image=IMAGE, command=command)])
    started = _aca(emu).jobs.begin_start(RG, JOB, template).result()
    assert started.name and started.name.startswith(f"{JOB}-") and started.id and started.id.endswith(started.name)
    return started.name


def _execution(emu: AzureEmulator, name: str) -> JobExecution:
    return _aca(emu).job_execution(RG, JOB, name)


def test_a_job_execution_runs_the_overridden_command_and_reports_its_status_over_time(emu: AzureEmulator) -> None:
    ran: list[list[str]] = []
    emu.on_job(JOB, lambda job, command: ran.append(command) or None)
    job = _aca(emu).jobs.get(RG, JOB)
    assert job.properties and job.properties.template and job.properties.template.containers
    name = _start(emu, ["alembic", "downgrade", "a1b2c3"])
    running = _execution(emu, name)
    assert running.properties and running.properties.status == "Running" and running.properties.start_time
    assert running.properties.template and running.properties.template.containers
    assert running.properties.template.containers[0].command == ["alembic", "downgrade", "a1b2c3"]
    assert ran == []  # nothing ran before the execution's time was up
    emu.skip(3)  # the demo job runs 2 s
    done = _execution(emu, name)
    assert done.properties and done.properties.status == "Succeeded" and done.properties.end_time
    assert ran == [["alembic", "downgrade", "a1b2c3"]]
    listed = [e.name for e in _aca(emu).jobs_executions.list(RG, JOB)]
    assert listed == [name]


def test_a_scripted_failure_and_a_hook_that_refuses_end_the_execution_failed(emu: AzureEmulator) -> None:
    emu.script_job(JOB, status="Failed", seconds=0)
    first = _start(emu, ["alembic", "downgrade", "x"])
    assert (_execution(emu, first).properties or {}).status == "Failed"  # type: ignore[union-attr]
    emu.on_job(JOB, lambda job, command: "exit code 1")
    second = _start(emu, ["alembic", "downgrade", "y"])
    emu.skip(3)
    assert (_execution(emu, second).properties or {}).status == "Failed"  # type: ignore[union-attr]


def test_a_job_execution_with_a_container_the_job_lacks_is_refused(emu: AzureEmulator) -> None:
    template = JobExecutionTemplate(containers=[JobExecutionContainer(name="other", image=IMAGE, command=["x"])])
    with pytest.raises(HttpResponseError) as caught:
        _aca(emu).jobs.begin_start(RG, JOB, template).result()
    assert caught.value.status_code == 400 and "not a container of job" in str(caught.value)


def test_a_restore_takes_the_scripted_time_and_the_new_server_is_listed(emu: AzureEmulator) -> None:
    emu.set_restore_seconds(120)
    pg = PostgreSQLManagementClient(emu.credential, SUB, **emu.client_kwargs())
    body = Server(
        location="eastus",
        properties=ServerProperties(
            create_mode=CreateMode.POINT_IN_TIME_RESTORE,
            source_server_resource_id=SOURCE,
            point_in_time_utc=datetime.now(UTC) - timedelta(hours=1),
        ),
    )
    pg.servers.begin_create_or_update(RG, "pharmabot-db-restored", body, polling=False)
    for _ in range(3):
        server = pg.servers.get(RG, "pharmabot-db-restored")
        assert server.properties and server.properties.state == "Provisioning"
    names = {s.name: s.properties.state for s in pg.servers.list_by_resource_group(RG) if s.properties}
    assert names["pharmabot-db-restored"] == "Provisioning" and names["pharmabot-db"] == "Ready"
    emu.skip(60)
    assert (pg.servers.get(RG, "pharmabot-db-restored").properties or ServerProperties()).state == "Provisioning"
    emu.skip(61)
    ready = pg.servers.get(RG, "pharmabot-db-restored")
    assert ready.properties and ready.properties.state == "Ready"
    assert ready.properties.fully_qualified_domain_name == "pharmabot-db-restored.postgres.database.azure.com"


def test_a_template_change_of_an_environment_variable_makes_a_new_revision(
    emu: AzureEmulator,
) -> None:
    aca = _aca(emu)
    app = aca.container_apps.get(RG, "pharmabot-prod")
    assert app.properties and app.properties.template and app.properties.template.containers
    before = {r.name for r in aca.container_apps_revisions.list_revisions(RG, "pharmabot-prod")}
    patch: dict[str, Any] = {
        "properties": {
            "template": {
                "containers": [
                    {**c.as_dict(), "env": [{"name": "DATABASE_HOST", "value": "x.postgres.database.azure.com"}]}
                    for c in app.properties.template.containers
                ]
            }
        }
    }
    aca.container_apps.begin_update(RG, "pharmabot-prod", patch).result()
    after = {r.name: r for r in aca.container_apps_revisions.list_revisions(RG, "pharmabot-prod")}
    new = set(after) - before
    assert len(new) == 1
    revision = after[new.pop()]
    assert revision.properties and revision.properties.template and revision.properties.template.containers
    env = revision.properties.template.containers[0].env or []
    assert [(e.name, e.value) for e in env] == [("DATABASE_HOST", "x.postgres.database.azure.com")]
