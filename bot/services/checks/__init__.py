"""The five pre-deploy checks, each a pass / warn / fail with evidence a person can verify.

    results = run_checks(ChecklistContext(target=..., now=..., env=..., kinds=..., policy=..., ...))

Items 1 and 4 are answered by the kind that owns them (code, schema), item 2 by every configured kind
together, items 3 and 5 by the environment (telemetry, drills). A check never lets a
``RollbackBotError`` escape from ``run_checks``: it becomes a failed result whose summary is the error's
``user_message``.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.findings import combine
from bot.domain.readiness import CheckKey, CheckResult, CheckStatus, worst
from bot.errors import RollbackBotError
from bot.services.checks.context import ChecklistContext
from bot.services.checks.drill_recency import check_drill
from bot.services.checks.prompt_version import check_prompt_version_logged
from bot.services.checks.rollback_command import check_rollback_commands

Check = Callable[[ChecklistContext], CheckResult]
ENVIRONMENT_CHECKS: dict[CheckKey, Check] = {
    CheckKey.rollback_command: check_rollback_commands,
    CheckKey.prompt_version: check_prompt_version_logged,
    CheckKey.drill: check_drill,
}


def run_checks(ctx: ChecklistContext) -> tuple[CheckResult, ...]:
    """All five checks, in the runbook's order."""
    return tuple(_run(key, ctx) for key in CheckKey)


def _run(key: CheckKey, ctx: ChecklistContext) -> CheckResult:
    try:
        check = ENVIRONMENT_CHECKS.get(key)
        return check(ctx) if check else owned_check(key, ctx)
    except RollbackBotError as exc:
        return CheckResult(
            key, CheckStatus.failed, exc.user_message, (f"the check could not finish: {type(exc).__name__}",)
        )


def owned_check(key: CheckKey, ctx: ChecklistContext) -> CheckResult:
    """An item a kind answers alone: its verdict, or 'not applicable' when no kind that owns it is configured."""
    owners = [k for k in ctx.kinds.definitions() if key in k.owns]
    for kind in owners:
        if kind.name in ctx.env.problems:
            problem = ctx.env.problems[kind.name]
            return CheckResult(key, CheckStatus.failed, f"{kind.title} is configured but unavailable: {problem}")
    verdicts = []
    for kind in owners:
        bound = ctx.env.kinds.get(kind.name)
        found = bound.contribute(key, ctx.inputs) if bound else None
        if isinstance(found, CheckResult):
            verdicts.append(found)
        elif found is not None:
            verdicts.append(combine(key, list(found), ok_summary=f"{kind.title}: checked."))
    if not verdicts:
        what = " or ".join(k.component for k in owners) or "component that answers it"
        return CheckResult(key, CheckStatus.passed, "Not applicable.", (f"no {what} configured",))
    if len(verdicts) == 1:
        return verdicts[0]
    return CheckResult(
        key,
        worst([v.status for v in verdicts]),
        " ".join(v.summary for v in verdicts),
        tuple(e for v in verdicts for e in v.evidence),
        tuple(c for v in verdicts for c in v.commands),
    )


def check_previous_revision(ctx: ChecklistContext) -> CheckResult:
    """Item 1, previous revision alive (answered by the code kind)."""
    return owned_check(CheckKey.previous_revision, ctx)


def check_backup(ctx: ChecklistContext) -> CheckResult:
    """Item 4, database backup taken (answered by the schema kind)."""
    return owned_check(CheckKey.backup, ctx)


__all__ = [
    "ChecklistContext",
    "check_backup",
    "check_drill",
    "check_previous_revision",
    "check_prompt_version_logged",
    "check_rollback_commands",
    "owned_check",
    "run_checks",
]
