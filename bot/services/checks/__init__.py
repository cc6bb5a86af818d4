"""The five pre-deploy checks (SPEC §6), each a pass / warn / fail with evidence a person can verify.

    results = run_checks(CheckContext(target=..., now=..., executors=..., azure=..., probe=..., ...))

A check never lets a ``RollbackBotError`` escape from ``run_checks``: it becomes a failed result whose summary
is the error's ``user_message``.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.checklist import CheckKey, CheckResult, CheckStatus
from bot.errors import RollbackBotError
from bot.services.checks.backup import check_backup
from bot.services.checks.commands import check_rollback_commands
from bot.services.checks.common import CheckContext
from bot.services.checks.drill import check_drill
from bot.services.checks.revision import check_previous_revision
from bot.services.checks.telemetry import check_prompt_version_logged

Check = Callable[[CheckContext], CheckResult]
CHECKS: tuple[tuple[CheckKey, Check], ...] = (
    (CheckKey.previous_revision, check_previous_revision),
    (CheckKey.rollback_command, check_rollback_commands),
    (CheckKey.prompt_version, check_prompt_version_logged),
    (CheckKey.backup, check_backup),
    (CheckKey.drill, check_drill),
)


def run_checks(ctx: CheckContext) -> tuple[CheckResult, ...]:
    """All five checks, in the runbook's order."""
    return tuple(_run(key, check, ctx) for key, check in CHECKS)


def _run(key: CheckKey, check: Check, ctx: CheckContext) -> CheckResult:
    try:
        return check(ctx)
    except RollbackBotError as exc:
        return CheckResult(
            key, CheckStatus.failed, exc.user_message, (f"the check could not finish: {type(exc).__name__}",)
        )


__all__ = [
    "CHECKS",
    "CheckContext",
    "check_backup",
    "check_drill",
    "check_previous_revision",
    "check_prompt_version_logged",
    "check_rollback_commands",
    "run_checks",
]
