"""Check 2: for EVERY configured kind, a concrete rollback plan with exact commands can be built right now."""

from __future__ import annotations

from typing import Any

from bot.domain.findings import Finding, combine, failed, guarded
from bot.domain.kinds import KindName
from bot.domain.readiness import CheckKey, CheckResult, CheckStatus
from bot.kinds import BoundKind, CheckInputs
from bot.services.checks.context import ChecklistContext

KEY = CheckKey.rollback_command


def check_rollback_commands(ctx: ChecklistContext) -> CheckResult:
    """Pass when every configured kind has a concrete target and the exact commands to reach it.

    A configured kind that cannot be bound, or that brings no contribution, fails the check: a kind is
    never silently left out.
    """
    configured = [k for k in ctx.kinds if k in ctx.env.kinds or k in ctx.env.problems]
    if not configured:
        components = ", ".join(k.component for k in ctx.kinds.definitions())
        return CheckResult(
            KEY,
            CheckStatus.warn,
            f"Nothing to roll back is configured for {ctx.target}.",
            (f"no {components} configured",),
        )
    findings: list[Finding] = []
    for name in configured:
        bound = ctx.env.kinds.get(name)
        if bound is None:
            problem = ctx.env.problems[name]
            findings.append(failed(f"{name}: unavailable: {problem}", f"{name}: configured but unavailable: {problem}"))
            continue
        findings += guarded(name, lambda b=bound, n=name: _contribution(b, n, ctx.inputs))  # type: ignore[misc]
    return combine(
        KEY, findings, ok_summary=f"Concrete rollback commands for every configured kind ({', '.join(configured)})."
    )


def _contribution(bound: BoundKind[Any], name: KindName, inputs: CheckInputs) -> list[Finding]:
    found = bound.contribute(KEY, inputs)
    if found is None:
        return [failed(f"{name}: no rollback command is documented", f"{name}: the kind takes no part in this check")]
    if isinstance(found, CheckResult):
        status = found.status
        return [Finding(status, found.evidence, found.commands, "" if status is CheckStatus.passed else found.summary)]
    return list(found)
