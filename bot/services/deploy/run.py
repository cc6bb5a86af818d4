"""``rollback-bot deploy``: refusals first, then the slot, a release, the guarded change, and the verdict.

    report = deploy(deps, DeployRequest(target, TemplateChange(image="acr.io/app:1.6.0"), actor="cli:alice"),
                    stop=threading.Event())
    raise SystemExit(report.exit_code)

Exit codes (``bot.domain.deploy.ExitCode``): 0 promoted; 1 a gate failed or someone aborted, traffic restored;
2 could not run (bad input, configuration, or Azure failing before any traffic moved); 3 refused (a freeze,
another change in flight, or the checklist when ``deploy.require_checklist`` is true). Nothing is written to
Azure before the refusals are decided.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.domain.deploy import DeployPolicy, DeployProgress, ExitCode, TemplateChange, check_suffix
from bot.domain.readiness import CheckStatus
from bot.domain.rollback_requests import ServiceEnv
from bot.domain.slots import HolderKind, SlotHolder
from bot.errors import (
    ConfigError,
    DeployStoppedError,
    NotAllowedError,
    NotFoundError,
    PartialRollbackError,
    RollbackBotError,
    RollbackInProgressError,
    UsageError,
)
from bot.kinds.code import KIND as CODE_KIND
from bot.ports.deploys import DeployRun
from bot.services import Deps
from bot.services.audit import record
from bot.services.checklist_runs import run_checklist
from bot.services.deploy.guard import GuardPorts, GuardResult, guarded_change, new_revision_name
from bot.services.deploy.progress import Progress, Watch
from bot.services.deploy.releases import deploy_release
from bot.services.deploy.releases import said as _said
from bot.services.releases import record_release

log = logging.getLogger("rollback_bot.deploy")


@dataclass(frozen=True)
class DeployRequest:
    """What to deploy where, and who asks (``cli:NAME`` from a terminal)."""

    target: ServiceEnv
    change: TemplateChange
    actor: str
    suffix: str | None = None
    steps: tuple[int, ...] | None = None


@dataclass(frozen=True)
class DeployReport:
    """How a deploy ended, for the command line (text or ``--json``)."""

    exit_code: ExitCode
    message: str
    target: ServiceEnv
    revision: str | None = None
    run_id: int | None = None
    release_id: int | None = None
    result: GuardResult | None = None
    evidence: tuple[str, ...] = ()
    aborted_by: str | None = None


def deploy(
    deps: Deps,
    request: DeployRequest,
    *,
    stop: threading.Event | None = None,
    on_progress: Callable[[DeployProgress], None] | None = None,
) -> DeployReport:
    """Run one guarded deploy of ``request.change`` to ``request.target`` (see the module's docstring)."""
    target = request.target
    policy = deps.catalog.resolve(target.service, target.environment)
    settings = replace(policy.deploy, steps=request.steps or policy.deploy.steps)
    suffix = check_suffix(request.suffix) if request.suffix else _suffix(deps.clock())
    refused = _refusal(deps, request, settings)
    if refused is not None:
        return refused
    env = deps.environment(target)
    handle = env.handle(CODE_KIND)
    if deps.probe is None or deps.slots is None:
        raise ConfigError("deploys need the bot's database and a health probe (build the runtime with them)")
    revision = new_revision_name(handle.ref.name, suffix)
    try:
        holder = deps.slots.acquire(
            target, kind=HolderKind.deploy, ref=revision, who=request.actor, lease_seconds=deps.leases.seconds
        )
    except RollbackInProgressError as exc:
        record(deps, "deploy.refused", actor=request.actor, target=str(target), reason=exc.user_message)
        return DeployReport(ExitCode.refused, exc.user_message, target, revision)
    try:
        with deps.keep_alive(deps.leases.heartbeat, lambda: _renew(deps, holder)):
            return _deploy_holding(
                deps,
                request,
                settings=settings,
                holder=holder,
                revision=revision,
                suffix=suffix,
                stop=stop,
                on_progress=on_progress,
            )
    finally:
        deps.slots.release(holder)


def _suffix(now: datetime) -> str:
    """A fresh revision suffix: ``d`` + the UTC time + 4 random characters (``d20261202t1530-a1b2``)."""
    return f"d{now.astimezone(UTC):%Y%m%dt%H%M}-{secrets.token_hex(2)}"


def _renew(deps: Deps, holder: SlotHolder) -> None:
    assert deps.slots is not None
    deps.slots.renew(holder, lease_seconds=deps.leases.seconds)


def _refusal(deps: Deps, request: DeployRequest, settings: DeployPolicy) -> DeployReport | None:
    """Exit 3 before anything is written: a freeze, or a failing checklist when it is required."""
    target = request.target
    freeze = deps.freezes.active(target) if deps.freezes is not None else None
    if freeze is not None:
        message = freeze.refusal().plain()
        record(deps, "deploy.refused", actor=request.actor, target=str(target), reason=message)
        return DeployReport(ExitCode.refused, message, target)
    if settings.require_checklist:
        run = run_checklist(deps, target=target, trigger="deploy")
        failed = [r for r in run.report.results if r.status is CheckStatus.failed]
        if failed:
            names = "; ".join(f"{r.title}: {r.summary}" for r in failed)
            message = f"The pre-deploy checklist of {target} fails ({names}); deploy.require_checklist is on."
            record(deps, "deploy.refused", actor=request.actor, target=str(target), reason=message)
            return DeployReport(ExitCode.refused, message, target, evidence=tuple(names.split("; ")))
    return None


def _deploy_holding(
    deps: Deps,
    request: DeployRequest,
    *,
    settings: DeployPolicy,
    holder: SlotHolder,
    revision: str,
    suffix: str,
    stop: threading.Event | None,
    on_progress: Callable[[DeployProgress], None] | None,
) -> DeployReport:
    target = request.target
    before = record_release(
        deps, target, source="deploy", actor=request.actor, note=f"before deploy of {request.change.describe()}"
    )
    run = (
        deps.deploy_runs.start(target, revision=revision, change=request.change.describe(), actor=request.actor)
        if (deps.deploy_runs is not None)
        else None
    )
    record(
        deps,
        "deploy.started",
        actor=request.actor,
        target=str(target),
        revision=revision,
        change=request.change.describe(),
        release=before.id,
        run=run.id if run else None,
    )
    watch = Watch(
        deps,
        stop or threading.Event(),
        run.id if run else None,
        poll=max(min(settings.health_interval_seconds, 1.0), 0.05),
    )
    slack = Progress(deps, deps.catalog.resolve(target.service, target.environment).deploy_channel, run)
    env = deps.environment(target)
    handle = env.handle(CODE_KIND)
    assert deps.probe is not None and deps.slots is not None

    def report(progress: DeployProgress) -> None:
        slack.update(progress)
        if on_progress is not None:
            on_progress(progress)

    ports = GuardPorts(
        api=handle.api,
        ref=handle.ref,
        health_url_of=handle.health_url_of,
        probe=deps.probe,
        telemetry=env.telemetry,
        clock=deps.clock,
        pause=watch.pause,
        report=report,
        before_write=lambda: _renew(deps, holder),
    )
    try:
        result = guarded_change(ports, request.change, suffix=suffix, settings=settings, target=str(target))
    except (UsageError, NotFoundError, NotAllowedError, ConfigError) as exc:
        return _could_not_run(deps, request, run=run, slack=slack, release_id=before.id, exc=exc)
    except DeployStoppedError as exc:  # stopped before the creating write: nothing moved
        return _could_not_run(deps, request, run=run, slack=slack, release_id=before.id, exc=exc)
    except PartialRollbackError as exc:  # a gate failed and the restore did not land: loud, its release bad
        bad = deploy_release(
            deps,
            target,
            before,
            change=request.change.describe(),
            actor=request.actor,
            revision=revision,
            promoted=False,
            reason=exc.user_message,
        )
        return _could_not_run(deps, request, run=run, slack=slack, release_id=bad.id if bad else before.id, exc=exc)
    except RollbackBotError as exc:  # Azure failed before any traffic moved (reading the app, the creating PATCH)
        return _could_not_run(deps, request, run=run, slack=slack, release_id=before.id, exc=exc)
    outcome_release = deploy_release(
        deps,
        target,
        before,
        change=request.change.describe(),
        actor=request.actor,
        revision=revision,
        promoted=result.promoted,
        reason=result.reason,
    )
    release_id = outcome_release.id if outcome_release else before.id
    outcome = "promoted" if result.promoted else ("aborted" if watch.aborted_by else "rolled_back")
    if run is not None and deps.deploy_runs is not None:
        deps.deploy_runs.finish(run.id, outcome=outcome)
    record(
        deps,
        f"deploy.{outcome}",
        actor=request.actor,
        target=str(target),
        revision=revision,
        reason=result.reason,
        aborted_by=watch.aborted_by,
        release=release_id,
        release_before=before.id,
    )
    deps.metrics.count("deploys", target=target, outcome=outcome)
    if result.promoted:
        message = f"{target}: {revision} promoted, 100 % ({result.after.describe()}); {_said(outcome_release)}."
        code = ExitCode.promoted
    else:
        message = (
            f"{target}: {revision} rolled back ({result.reason}); traffic is as before the deploy "
            f"({result.after.describe()}) = release #{before.id}, {revision} left at 0 % for inspection; "
            f"{_said(outcome_release)}."
        )
        code = ExitCode.rolled_back
    slack.finish(message, result.evidence)
    return DeployReport(
        code, message, target, revision, run.id if run else None, release_id, result, result.evidence, watch.aborted_by
    )


def _could_not_run(
    deps: Deps,
    request: DeployRequest,
    *,
    run: DeployRun | None,
    slack: Progress,
    release_id: int,
    exc: RollbackBotError,
) -> DeployReport:
    message = f"{request.target}: the deploy could not run: {exc.user_message}"
    if run is not None and deps.deploy_runs is not None:
        deps.deploy_runs.finish(run.id, outcome="could_not_run")
    record(deps, "deploy.could_not_run", actor=request.actor, target=str(request.target), reason=exc.user_message)
    slack.finish(message, ())
    return DeployReport(
        ExitCode.could_not_run,
        message,
        request.target,
        run.revision if run else None,
        run.id if run else None,
        release_id,
    )
