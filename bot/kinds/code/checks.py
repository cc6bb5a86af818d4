"""Check 1: the previous revision is alive (Multiple mode; active, running, healthy; its health endpoint 200)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain.azure import ContainerAppRef, Revision
from bot.domain.findings import Finding, combine, failed, passed, warned, when
from bot.domain.plan import Plan
from bot.domain.readiness import CheckKey, CheckResult, CheckStatus
from bot.domain.secrets import SecretText
from bot.kinds.code.handle import CodeHandle
from bot.kinds.code.state import CodeState
from bot.ports.health import HealthProbe

if TYPE_CHECKING:
    from bot.kinds.code.executor import TrafficShift

KEY = CheckKey.previous_revision
_UNKNOWN = {"", "unknown", "none"}


def check_previous_revision(handle: CodeHandle, bound: TrafficShift, probe: HealthProbe) -> CheckResult:
    """Pass when traffic could move back to the previous revision right now and it would serve."""
    ref = handle.ref
    app = handle.api.get_app(ref)
    plan = bound.plan()
    mode = app.active_revisions_mode
    head = (f"{app.name}: revisions mode {mode or 'not set (Azure default: Single)'}", _serving_line(plan))
    if mode != "Multiple":
        return CheckResult(
            KEY,
            CheckStatus.failed,
            f"{app.name} runs in Single revision mode: only one revision is active at a time, so a traffic shift "
            "back to the previous revision cannot work. Switch to Multiple revision mode.",
            (*head, *_blocked(plan)),
            plan.commands,
        )
    rev = app.revision(plan.choice) if plan.choice else None
    if rev is None:
        return CheckResult(
            KEY,
            CheckStatus.failed,
            f"{app.name} has no other revision to roll back to.",
            (*head, f"revisions: {', '.join(r.name for r in app.revisions) or 'none'}"),
        )
    findings = [
        Finding(CheckStatus.passed, (*head, _describe(rev))),
        _active(rev),
        _state("runningState", rev.running_state, "Running"),
        _state("healthState", rev.health_state, "Healthy"),
        _endpoint(probe, handle, rev),
    ]
    result = combine(KEY, findings, ok_summary=f"{rev.name} is active, running, healthy and answers 200.")
    prefix = "" if result.status is CheckStatus.passed else f"Previous revision {rev.name}: "
    commands = _verify_commands(ref, rev, handle.health_url_of(rev))
    return CheckResult(KEY, result.status, prefix + result.summary, result.evidence, commands)


def _serving_line(plan: Plan[CodeState]) -> str:
    state = plan.current
    traffic = dict(sorted(state.rules.serving(state.latest).items())) if state else {}
    split = ", ".join(f"{name} {weight} %" for name, weight in traffic.items())
    return f"traffic now: {split or 'no weighted revision'}"


def _blocked(plan: Plan[CodeState]) -> tuple[str, ...]:
    return (f"previous revision: {plan.choice}",) if plan.choice else ()


def _describe(rev: Revision) -> str:
    created = when(rev.created_time) if rev.created_time else "creation time unknown"
    return f"previous revision: {rev.name} ({rev.image or 'image unknown'}, created {created})"


def _active(rev: Revision) -> Finding:
    if rev.active:
        return passed("active: yes")
    return failed("inactive (it cannot take traffic until activated)", "active: no")


def _state(field: str, value: str | None, good: str) -> Finding:
    line = f"{field}: {value or 'not reported'}"
    if value == good:
        return passed(line)
    if (value or "").strip().lower() in _UNKNOWN:
        return warned(f"{field} unknown (Azure did not report it)", line)
    return failed(f"{field} {value} (expected {good})", line)


def _endpoint(probe: HealthProbe, handle: CodeHandle, rev: Revision) -> Finding:
    result = probe.get(handle.health_url_of(rev))
    answer = str(result.status) if result.status is not None else result.detail or "no answer"
    line = f"GET {result.url} → {answer}"
    if result.ok:
        return passed(line)
    return failed(f"its health endpoint answered {answer}, not 200", line)


def _verify_commands(ref: ContainerAppRef, rev: Revision, url: SecretText) -> tuple[str, ...]:
    """How a person re-checks the evidence by hand."""
    query = "{active:properties.active,running:properties.runningState,health:properties.healthState}"
    cmds = [
        f"az containerapp revision show --name {ref.name} --resource-group {ref.resource_group} "
        f'--revision {rev.name} --query "{query}"'
    ]
    cmds.append(
        f"curl -sS -o /dev/null -w '%{{http_code}}\\n' \"{url.as_shell()}\""
    )  # a key as ${VAR}, never its value
    return tuple(cmds)
