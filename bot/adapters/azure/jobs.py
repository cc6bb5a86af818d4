"""``JobsApi`` over azure-mgmt-appcontainers: start a job execution with a command override, and follow it."""

from __future__ import annotations

from collections.abc import Sequence

from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.appcontainers import models as m

from bot.adapters.azure.clients import AzureClients
from bot.adapters.azure.errors import Call, translate
from bot.adapters.azure.values import enum_text, parse_time
from bot.domain.azure import JobContainer, JobExecution, JobRef
from bot.errors import AzureOperationError
from bot.ports.jobs import JobsApi

ROLE = "rollback-bot migration job runner"
_KIND = "Container Apps job"


class AzureJobsApi(JobsApi):
    """Container Apps jobs through the real management SDK."""

    def __init__(self, *, clients: AzureClients) -> None:
        self._clients = clients
        self._by_subscription: dict[str, ContainerAppsAPIClient] = {}

    def _client(self, ref: JobRef) -> ContainerAppsAPIClient:
        if ref.subscription_id not in self._by_subscription:
            self._by_subscription[ref.subscription_id] = self._clients.container_apps(ref.subscription_id)
        return self._by_subscription[ref.subscription_id]

    def containers(self, ref: JobRef) -> list[JobContainer]:
        """The containers of the job's template."""
        with translate(_call("read the job", ref, "Microsoft.App/jobs/read")):
            job = self._client(ref).jobs.get(ref.resource_group, ref.name)
        template = job.properties.template if job.properties else None
        return [JobContainer(c.name or "", c.image or "") for c in (template.containers if template else None) or []]

    def start(self, ref: JobRef, *, container: JobContainer, command: Sequence[str]) -> str:
        """POST ``…/jobs/{job}/start`` with a template whose one container runs ``command``; the execution's name."""
        template = m.JobExecutionTemplate(
            containers=[m.JobExecutionContainer(name=container.name, image=container.image, command=list(command))]
        )
        client = self._client(ref)
        started = self._clients.run_lro(
            _call("start the job", ref, "Microsoft.App/jobs/start/action"),
            lambda polling: client.jobs.begin_start(ref.resource_group, ref.name, template, polling=polling),
        )
        if started is None or not started.name:
            raise AzureOperationError(
                f"Azure accepted the start of job '{ref.name}' but named no execution; check "
                f"`az containerapp job execution list --name {ref.name} --resource-group {ref.resource_group}`.",
                operation="start the job",
                resource=ref.name,
            )
        return str(started.name)

    def execution(self, ref: JobRef, name: str) -> JobExecution:
        """One execution, read now."""
        with translate(_call("read the job execution", ref, "Microsoft.App/jobs/executions/read")):
            return _execution(self._client(ref).job_execution(ref.resource_group, ref.name, name))

    def executions(self, ref: JobRef) -> list[JobExecution]:
        """Every execution Azure lists for the job."""
        with translate(_call("list the job's executions", ref, "Microsoft.App/jobs/executions/read")):
            return [_execution(e) for e in self._client(ref).jobs_executions.list(ref.resource_group, ref.name)]


def _call(operation: str, ref: JobRef, permission: str) -> Call:
    return Call(operation, _KIND, ref.name, permission, ref.resource_group_id, ROLE)


def _execution(execution: m.JobExecution) -> JobExecution:
    props = execution.properties
    containers = (props.template.containers if props and props.template else None) or []
    first = containers[0] if containers else None
    command = tuple(first.command or ()) + tuple(first.args or ()) if first else ()
    return JobExecution(
        name=execution.name or "",
        status=enum_text(props.status) if props else None,
        started=parse_time(props.start_time) if props else None,
        ended=parse_time(props.end_time) if props else None,
        command=command,
    )
