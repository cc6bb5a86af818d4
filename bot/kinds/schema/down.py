"""Down-migration: the application's own migration tool, run as a Container Apps job execution, then verified.

The plan names the current head, the target head, the job, the container and the exact command. Running it
starts one execution with that command (or re-attaches to one already running it: a replica that took the
execution over never starts a second one), follows it to Succeeded/Failed within the job's bound, and the
verification reads the head back through ``postgres.migrations``.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Iterator
from functools import partial

from bot.domain.azure import JobExecution
from bot.domain.findings import duration
from bot.domain.kinds import SCHEMA
from bot.domain.plan import Choice, Plan, StepResult
from bot.errors import AzureOperationError, UsageError
from bot.kinds.base import before_write
from bot.kinds.schema.follow import follow
from bot.kinds.schema.handle import MigrationJob, Pace
from bot.kinds.schema.state import DOWN, SchemaState
from bot.ports.migrations import MigrationHead

PREFIX = "down:"


def job_command(job: MigrationJob, image: str, command: tuple[str, ...]) -> str:
    """The equivalent ``az`` command: one execution of the job with ``command`` in its container."""
    ref = job.ref
    return (
        f"az containerapp job start --name {ref.name} --resource-group {ref.resource_group} "
        f"--container-name {job.container} --image {image} --command {shlex.join(command)}"
    )


def plan_down(
    job: MigrationJob, migrations: MigrationHead, table: str, *, target: str, label: str, choices: tuple[Choice, ...]
) -> Plan[SchemaState]:
    """From the head now to ``target`` through the job (blocked when already there)."""
    head = migrations.head()
    current = SchemaState(DOWN, table, head)
    command = job.command(target)
    choice = PREFIX + target
    blocked = partial(
        Plan[SchemaState].blocked,
        SCHEMA,
        current=current,
        current_text=current.describe(),
        choice=choice,
        choices=choices,
    )
    if head == target:
        return blocked(f"The migration head is already {target}; nothing to migrate down.")
    container = next((c for c in job.api.containers(job.ref) if c.name == job.container), None)
    if container is None:
        return blocked(f"Job {job.ref.name} has no container '{job.container}' (postgres.migration_job.container).")
    upgrade = (
        f"az containerapp job start --name {job.ref.name} --resource-group {job.ref.resource_group}  "
        f"# the job's own command, which migrates up to the head the image carries ({head or 'none'})"
    )
    return Plan(
        kind=SCHEMA,
        choice=choice,
        current=current,
        desired=SchemaState(DOWN, table, target),
        current_text=f"migration head {head or 'none'} (table {table})",
        desired_text=f"migration head {target} ({label})",
        commands=(job_command(job, container.image, command),),
        roll_forward=(upgrade,),
        risks=(
            "A down-migration may drop tables or columns: the data in them is gone, not restored.",
            "Roll the application's code back first: the code that is serving must work with the older schema.",
        ),
        steps=(
            f"start an execution of job {job.ref.name} in container {job.container}: {shlex.join(command)}",
            f"follow it to Succeeded or Failed (at most {duration(job.timeout)})",
            f"read the migration head from {table}: it must be {target}",
        ),
        choices=choices,
        note=f"Job {job.ref.name} ran `{shlex.join(command)}`; the migration head should read {target}.",
    )


def run_down(job: MigrationJob, plan: Plan[SchemaState], pace: Pace) -> Iterator[StepResult]:
    """Start (or re-attach to) the execution, follow it; a failed execution fails the request with its status."""
    assert plan.desired is not None and plan.desired.value is not None
    command = job.command(plan.desired.value)
    started = time.monotonic()
    running = next((e for e in job.api.executions(job.ref) if e.command == command and not e.finished), None)
    if running is not None:
        name = running.name
        detail = f"execution {name} of job {job.ref.name} was already running this command ({running.status})"
        yield StepResult("re-attach to the job execution", True, 0.0, detail, {"execution": name})
    else:
        containers = job.api.containers(job.ref)
        container = next((c for c in containers if c.name == job.container), None)
        if container is None:
            names = ", ".join(c.name for c in containers) or "none"
            raise UsageError(f"job {job.ref.name} has no container '{job.container}' (containers: {names})")
        before_write()
        name = job.api.start(job.ref, container=container, command=command)
        detail = f"execution {name} of job {job.ref.name} started: {shlex.join(command)}"
        yield StepResult(
            "start the job execution", True, round(time.monotonic() - started, 3), detail, {"execution": name}
        )
        yield StepResult("job execution", True, 0.0, f"Job execution {name} started: {shlex.join(command)}", {}, True)
    show = (
        f"az containerapp job execution show --name {job.ref.name} --resource-group {job.ref.resource_group} "
        f"--job-execution-name {name}"
    )
    done: JobExecution = yield from follow(
        f"job execution {name}",
        lambda: job.api.execution(job.ref, name),
        lambda e: e.finished,
        lambda e: e.status or "in an unknown state",
        timeout=job.timeout,
        poll_seconds=min(pace.poll_seconds, 5.0),
        progress_every=pace.progress_every,
        check=show,
    )
    if done.status != "Succeeded":
        raise AzureOperationError(
            f"Job execution {name} ended {done.status}: the down-migration did not complete. Read its logs "
            f"(`{show}`) before trying again.",
            operation="run the down-migration",
            resource=name,
        )
    seconds = round(time.monotonic() - started, 3)
    yield StepResult(
        "job execution", True, seconds, f"{name}: {done.status}", {"execution": name, "status": done.status}
    )


def verify_down(migrations: MigrationHead, plan: Plan[SchemaState]) -> StepResult:
    """The head reads back as the target."""
    assert plan.desired is not None
    started = time.monotonic()
    head = migrations.head()
    ok = head == plan.desired.value
    detail = f"migration head is {head or 'none'}" + ("" if ok else f", expected {plan.desired.value}")
    return StepResult("migration head", ok, round(time.monotonic() - started, 3), detail)
