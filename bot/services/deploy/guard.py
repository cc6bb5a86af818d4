"""The guarded template change: create a revision at 0 %, gate it, walk the canary steps, promote or restore.

    result = guarded_change(GuardPorts(api, ref, health_url_of, probe, telemetry, clock, pause, report),
                            TemplateChange(image="acr.io/app:1.6.0"), suffix="v160", settings=settings)

A deploy calls it for an image; another feature can call it for an environment variable (a database
cut-over): anything that creates a new revision and must not serve before it proved healthy.

Order of writes: one PATCH creating the revision with the serving rules pinned by name and the new one at
0 % (never a moment where it serves before its gate); one traffic PATCH per canary step, the last of which
writes the promoted list (the original rule form); on any failure — a gate, an error, an abort, a signal —
one traffic PATCH back to exactly what the pre-deploy rules served (``bot.domain.deploy.restored_rules``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.azure import ContainerAppRef, ContainerAppState, Revision
from bot.domain.canary import GateOutcome
from bot.domain.deploy import (
    DeployPolicy,
    DeployProgress,
    DeployState,
    GateResult,
    TemplateChange,
    creating_rules,
    promoted_rules,
    restored_rules,
    step_rules,
)
from bot.domain.secrets import SecretText
from bot.domain.signals import TimeWindow
from bot.domain.traffic import TrafficRules
from bot.errors import (
    AzureError,
    AzureNotFoundError,
    DeployStoppedError,
    NotFoundError,
    PartialRollbackError,
    RollbackBotError,
    TelemetryError,
    UsageError,
)
from bot.kinds.code.planning import rules_command
from bot.ports.azure import ContainerAppsApi
from bot.ports.health import HealthProbe
from bot.ports.telemetry import TelemetryQuery
from bot.services.canary import canary_gate

log = logging.getLogger("rollback_bot.deploy")
_STARTING = {None, "", "Activating", "Processing", "Provisioning", "Unknown"}


@dataclass(frozen=True)
class GuardPorts:
    """What the guard works with. ``pause(seconds)`` waits and raises ``DeployStoppedError`` when told to stop (it
    is also called with 0 before each write); ``report`` receives each progress (it must not block)."""

    api: ContainerAppsApi
    ref: ContainerAppRef
    health_url_of: Callable[[Revision], SecretText]
    probe: HealthProbe
    telemetry: TelemetryQuery | None
    clock: Callable[[], datetime]
    pause: Callable[[float], None]
    report: Callable[[DeployProgress], None] = lambda progress: None
    before_write: Callable[[], None] = lambda: None
    monotonic: Callable[[], float] = time.monotonic


@dataclass(frozen=True)
class GuardResult:
    """How a guarded change ended."""

    promoted: bool
    revision: str
    before: TrafficRules
    after: TrafficRules
    reason: str
    evidence: tuple[str, ...] = ()
    created: bool = True


@dataclass
class _Run:
    ports: GuardPorts
    change: TemplateChange
    revision: str
    settings: DeployPolicy
    target: str
    started: float
    evidence: list[str] = field(default_factory=list)
    step: int = 0
    weight: int = 0

    def report(self, state: DeployState, note: str = "") -> None:
        progress = DeployProgress(
            target=self.target,
            revision=self.revision,
            change=self.change.describe(),
            state=state,
            step=self.step,
            steps=self.settings.steps,
            weight=self.weight,
            evidence=tuple(self.evidence[-6:]),
            elapsed_seconds=self.ports.monotonic() - self.started,
            note=note,
        )
        try:
            self.ports.report(progress)
        except Exception:  # progress is for people; it never decides a deploy
            log.exception("deploy progress could not be reported")


def new_revision_name(app: str, suffix: str) -> str:
    """``<app>--<suffix>``, as Container Apps names a revision."""
    return f"{app}--{suffix}"


def guarded_change(
    ports: GuardPorts, change: TemplateChange, *, suffix: str, settings: DeployPolicy, target: str = ""
) -> GuardResult:
    """Create the revision at 0 %, gate it, step traffic to it; promote, or restore the pre-deploy rules.

    Raises (nothing written yet, or the creating write failed: traffic never moved):
        UsageError: the app is not in Multiple revisions mode, or the revision's name is taken.
        AzureError: reading the app or the creating PATCH failed.
        DeployStoppedError: told to stop before the creating write.
    """
    api, ref = ports.api, ports.ref
    name = new_revision_name(ref.name, suffix)
    run = _Run(ports, change, name, settings, target or ref.name, ports.monotonic())
    run.report(DeployState.starting)
    app = api.read_app(ref)
    _check_app(app, name)
    _check_name_free(api, ref, name)
    latest = app.latest_revision or ""
    before = app.traffic
    serving = tuple(before.serving(latest))
    ports.pause(0)
    ports.before_write()
    run.report(DeployState.creating)
    try:
        api.create_revision(ref, change, suffix=suffix, rules=creating_rules(before, latest, name))
    except RollbackBotError as exc:
        if api.read_app(ref).traffic == before:
            raise  # nothing landed: traffic never moved
        # The PATCH landed and then failed (a gateway timeout, an operation reported Failed): restore.
        reason = f"creating {name} failed after its write landed: {exc.user_message}"
        return GuardResult(False, name, before, _restore(run, before, latest, reason), reason, tuple(run.evidence))
    run.evidence.append(f"{name} created at 0 % ({change.describe()})")
    try:
        passed, reason = _walk(run, before, latest, serving)
    except (DeployStoppedError, RollbackBotError) as exc:
        passed, reason = False, exc.user_message
    except Exception as exc:  # a bug must not leave the canary serving: restore first, then let it surface
        _restore(run, before, latest, f"unexpected error ({type(exc).__name__})")
        raise
    if passed:
        run.report(DeployState.promoted, reason)
        return GuardResult(True, name, before, promoted_rules(before, name), reason, tuple(run.evidence))
    after = _restore(run, before, latest, reason)
    return GuardResult(False, name, before, after, reason, tuple(run.evidence))


def _check_app(app: ContainerAppState, name: str) -> None:
    if (app.active_revisions_mode or "Single") != "Multiple":
        raise UsageError(
            f"Container app '{app.name}' is in {app.active_revisions_mode or 'Single'} revisions mode; a guarded "
            "deploy needs Multiple (az containerapp revision set-mode --mode multiple)."
        )
    if not app.latest_revision:
        raise UsageError(f"Container app '{app.name}' has no revision yet; deploy its first one without the guard.")


def _check_name_free(api: ContainerAppsApi, ref: ContainerAppRef, name: str) -> None:
    try:
        api.get_revision(ref, name)
    except (AzureNotFoundError, NotFoundError):
        return
    raise UsageError(f"Revision {name} already exists; give another --revision-suffix.")


def _walk(run: _Run, before: TrafficRules, latest: str, serving: tuple[str, ...]) -> tuple[bool, str]:
    """Wait, gate, step. (True, why) when every gate passed and 100 % is on the new revision in its final form."""
    ports, settings = run.ports, run.settings
    revision = _wait_ready(run)
    ok, why = _health_gate(run, revision, attempts=settings.health_attempts)
    if not ok:
        return False, why
    for index, weight in enumerate(settings.steps, start=1):
        last = index == len(settings.steps)
        rules = promoted_rules(before, run.revision) if last else step_rules(before, latest, run.revision, weight)
        ports.pause(0)
        ports.before_write()
        started = ports.clock()
        ports.api.shift_traffic(ports.ref, rules)
        run.step, run.weight = index, weight
        run.evidence.append(f"step {index}: {weight} % on {run.revision}")
        run.report(DeployState.canary, f"holding {settings.step_seconds:g} s")
        ports.pause(settings.step_seconds)
        revision = ports.api.get_revision(ports.ref, run.revision)
        ok, why = _health_gate(run, revision, attempts=1)
        if not ok:
            return False, f"at step {index} ({weight} %): {why}"
        judged = _signal_gate(run, serving, started)
        if judged is not None and judged.ok is False:
            return False, f"at step {index} ({weight} %): {judged.evidence}"
    return True, f"every gate passed; 100 % on {run.revision}"


def _wait_ready(run: _Run) -> Revision:
    """Poll the revision until it is provisioned and running (bounded by ``ready_timeout_seconds``)."""
    ports, settings = run.ports, run.settings
    run.report(DeployState.waiting)
    deadline = ports.monotonic() + settings.ready_timeout_seconds
    while True:
        revision = ports.api.get_revision(ports.ref, run.revision)
        state = revision.provisioning_state or ""
        if state in ("Failed", "Deprovisioned") or revision.running_state == "Failed":
            raise RollbackBotError(
                f"{run.revision} failed to start (provisioning {state or 'unknown'}, running "
                f"{revision.running_state or 'unknown'})"
            )
        if state == "Provisioned" and revision.running_state not in _STARTING:
            run.evidence.append(f"{run.revision} provisioned, {revision.running_state}")
            return revision
        if ports.monotonic() >= deadline:
            raise RollbackBotError(
                f"{run.revision} was not running after {settings.ready_timeout_seconds:g} s "
                f"(provisioning {state or 'unknown'}, running {revision.running_state or 'unknown'})"
            )
        ports.pause(max(settings.health_interval_seconds, 0.0))


def _health_gate(run: _Run, revision: Revision, *, attempts: int) -> tuple[bool, str]:
    """The revision's own health URL must answer 200 within ``attempts`` tries, ``health_interval_seconds`` apart."""
    ports = run.ports
    run.report(DeployState.gating)
    url = ports.health_url_of(revision)
    last = ""
    for attempt in range(1, attempts + 1):
        result = ports.probe.get(url)
        if result.ok:
            run.evidence.append(f"health {result.url} answered 200 (try {attempt})")
            return True, ""
        last = f"answered {result.status}" if result.status is not None else f"did not answer ({result.detail})"
        if attempt < attempts:
            ports.pause(run.settings.health_interval_seconds)
    text = f"health {url} {last} ({attempts} {'try' if attempts == 1 else 'tries'})"
    run.evidence.append(text)
    return False, text


def _signal_gate(run: _Run, serving: tuple[str, ...], since: datetime) -> GateResult | None:
    """The LLM signals of the new revision against the ones it replaces, since the step began (telemetry)."""
    ports = run.ports
    now = ports.clock()
    if ports.telemetry is None or now <= since:
        return None
    try:
        judgement = canary_gate(
            ports.telemetry,
            new_revision=run.revision,
            old_revisions=serving,
            window=TimeWindow(since, now),
            max_error_rate_ratio=run.settings.max_error_rate_ratio,
        )
    except (TelemetryError, AzureError) as exc:
        run.evidence.append(f"signals: could not be read ({exc.user_message})")
        return GateResult("signals", False, f"the LLM signals could not be read: {exc.user_message}")
    if judgement is None:
        return None
    run.evidence.append(f"signals: {judgement.reason}")
    ok = {GateOutcome.passed: True, GateOutcome.failed: False}.get(judgement.outcome)
    return GateResult("signals", ok, judgement.reason)


def _restore(run: _Run, before: TrafficRules, latest: str, reason: str) -> TrafficRules:
    """Write back exactly what the pre-deploy rules served (never paused: a stop must not stop a restore)."""
    ports = run.ports
    rules = restored_rules(before, latest)
    run.report(DeployState.rolling_back, reason)
    try:
        ports.api.shift_traffic(ports.ref, rules)
    except RollbackBotError as exc:
        run.report(DeployState.failed, f"the rollback failed: {exc.user_message}")
        raise PartialRollbackError(
            f"{run.revision} failed ({reason}) and traffic could NOT be put back ({exc.user_message}); put the "
            f"pre-deploy rules back with: {rules_command(ports.ref, rules)}"
        ) from exc
    run.weight = 0
    run.evidence.append(f"traffic restored: {rules.describe()}")
    run.report(DeployState.rolled_back, reason)
    return rules
