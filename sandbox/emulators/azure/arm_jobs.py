"""Microsoft.App jobs: GET a job, start an execution (template override), read executions as they run.

``POST …/jobs/{job}/start`` with a ``JobExecutionTemplate`` body (``{containers: [{name, image, command,
args, env}]}``; no body: the job's own template) creates an execution ``{job}-{7 chars}`` that is
``Running`` until its time is up, then ``Succeeded`` or ``Failed`` (scripted with :func:`script_next`, or by a
host hook that carries the command out and may refuse it). The start answers 202 with ``Location`` (and
``Azure-AsyncOperation``); the result is the execution's ``{name, id}``, as in the official ``Job_Start``
example. ``GET …/jobs/{job}/executions/{name}`` is the official ``Job_Execution_Get`` shape.
"""

from __future__ import annotations

import copy
import re
import secrets
import string
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from sandbox.emulators.azure.arm import NAME, RG_PREFIX, Route, paged, route
from sandbox.emulators.azure.lro import LroSpec
from sandbox.emulators.azure.wire import JSON, Request, Response, bad_request, iso, parse_time

if TYPE_CHECKING:
    from sandbox.emulators.azure.core import Core

JOB = rf"{RG_PREFIX}/Microsoft\.App/jobs/(?P<job>{NAME})"
JOB_TYPE = "Microsoft.App/jobs"
EXECUTION_TYPE = "Microsoft.App/jobs/executions"
# What a host may plug in: called with the job's name and the command the execution ran (command + args of
# its first container) when the execution's time is up; it returns None (succeeded) or a reason it failed.
JobHook = Callable[[str, list[str]], str | None]


def _job_id(m: re.Match[str]) -> str:
    return f"/subscriptions/{m['sub']}/resourceGroups/{m['rg']}/providers/Microsoft.App/jobs/{m['job']}"


def runs(core: Core) -> dict[str, JSON]:
    """Scripted outcomes of executions, by lower-cased execution id (kept in the estate, so it survives restarts)."""
    found: dict[str, JSON] = core.state.setdefault("jobRuns", {})
    return found


def durations(core: Core) -> dict[str, float]:
    """How long each job's executions run, by lower-cased job id (``execution_seconds`` in the estate)."""
    found: dict[str, float] = core.state.setdefault("jobDurations", {})
    return found


def script_next(core: Core, job: str, *, status: str = "Failed", seconds: float | None = None) -> None:
    """The next execution of ``job`` ends ``status`` (``Failed`` or ``Succeeded``) after ``seconds`` (default: the
    job's own duration)."""
    if status not in ("Failed", "Succeeded"):
        raise ValueError("status must be Failed or Succeeded")
    core.state.setdefault("jobScripts", {}).setdefault(job.lower(), []).append({"status": status, "seconds": seconds})


def get_job(core: Core, req: Request, m: re.Match[str]) -> Response:
    return Response(200, core.get(_job_id(m)))


def start(core: Core, req: Request, m: re.Match[str]) -> Response:
    """Start an execution with the body's template (a command override), or the job's own."""
    job_id = _job_id(m)
    job = core.get(job_id)
    template = _template(job, req.body)
    name = f"{job['name']}-" + "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(7))
    execution_id = f"{job_id}/executions/{name}"
    now = core.now()
    script = _next_script(core, str(job["name"]))
    seconds = float(script["seconds"] if script.get("seconds") is not None else durations(core).get(job_id.lower(), 0))
    core.put(
        {
            "id": execution_id,
            "name": name,
            "type": EXECUTION_TYPE,
            "properties": {"status": "Running", "startTime": iso(now), "template": template},
        }
    )
    runs(core)[execution_id.lower()] = {"ends": iso(now + timedelta(seconds=seconds)), "status": script.get("status")}
    location = str(job.get("location") or "eastus")
    spec = LroSpec(m["sub"], "Microsoft.App", location, "containerappOperationStatuses", "containerappOperationResults")
    _, headers = core.lro.start(req, spec, resource_id=execution_id, fault=core.faults.take_lro(req.method, req.path))
    return Response(202, None, headers)


def get_execution(core: Core, req: Request, m: re.Match[str]) -> Response:
    return Response(200, advance(core, core.get(f"{_job_id(m)}/executions/{m['execution']}")))


def list_executions(core: Core, req: Request, m: re.Match[str]) -> Response:
    job_id = _job_id(m)
    core.get(job_id)
    executions = [advance(core, e) for e in core.children(job_id, "executions")]
    return paged(req, sorted(executions, key=lambda e: str(e["properties"]["startTime"])), page_size=20)


def advance(core: Core, execution: JSON) -> JSON:
    """Finish a running execution whose time is up: its scripted outcome, else what the host's hook says."""
    props = execution["properties"]
    run = runs(core).get(str(execution["id"]).lower())
    if props.get("status") != "Running" or run is None or core.now() < parse_time(str(run["ends"])):
        return execution
    status = run.get("status")
    if status is None:
        hook = core.job_hooks.get(_job_name(execution).lower())
        failure = hook(_job_name(execution), command_of(props.get("template") or {})) if hook else None
        status = "Failed" if failure else "Succeeded"
    props["status"] = status
    props["endTime"] = iso(core.now())
    core.persist()
    return execution


def command_of(template: JSON) -> list[str]:
    """The command line of a template's first container (``command`` then ``args``)."""
    containers = template.get("containers") or [{}]
    first = containers[0]
    return [str(x) for x in (first.get("command") or [])] + [str(x) for x in (first.get("args") or [])]


def _job_name(execution: JSON) -> str:
    return str(execution["id"]).split("/jobs/")[1].split("/")[0]


def _template(job: JSON, body: object) -> JSON:
    own: JSON = copy.deepcopy(job["properties"]["template"])
    if body is None or body == {}:
        return {"containers": own.get("containers", []), "initContainers": own.get("initContainers", [])}
    if not isinstance(body, dict) or not isinstance(body.get("containers"), list) or not body["containers"]:
        raise bad_request("InvalidJobExecutionTemplate", "The job execution template needs at least one container.")
    names = {str(c.get("name")) for c in own.get("containers", [])}
    for container in body["containers"]:
        if not isinstance(container, dict) or str(container.get("name")) not in names:
            name = container.get("name") if isinstance(container, dict) else container
            raise bad_request(
                "InvalidJobExecutionTemplate",
                f"Container '{name}' is not a container of job '{job['name']}' "
                f"(containers: {', '.join(sorted(names))}).",
            )
        if not container.get("image"):
            raise bad_request("InvalidJobExecutionTemplate", f"Container '{container['name']}' needs an image.")
    return copy.deepcopy(body)


def _next_script(core: Core, job: str) -> JSON:
    queue = core.state.setdefault("jobScripts", {}).get(job.lower()) or []
    return queue.pop(0) if queue else {}


ROUTES: list[Route] = [
    route("GET", JOB, get_job),
    route("POST", rf"{JOB}/start", start),
    route("GET", rf"{JOB}/executions", list_executions),
    route("GET", rf"{JOB}/executions/(?P<execution>{NAME})", get_execution),
]
