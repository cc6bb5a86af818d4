"""Check 5: a passing rollback drill within ``drill_max_age``."""

from __future__ import annotations

from bot.domain.findings import duration, when
from bot.domain.readiness import DRILL_BUDGET_SECONDS, CheckKey, CheckResult, CheckStatus
from bot.services.checks.context import ChecklistContext

KEY = CheckKey.drill


def check_drill(ctx: ChecklistContext) -> CheckResult:
    """Pass with the drill's time-to-rollback; fail when there is none, it did not pass, or it is too old."""
    how = f"run `/rollback drill {ctx.target.service} {ctx.target.environment}`"
    drill = ctx.last_passing_drill
    limit = duration(ctx.drill_max_age)
    if drill is None:
        return CheckResult(
            KEY, CheckStatus.failed, f"No passing drill recorded; {how}.", (f"passing drills within {limit}: none",)
        )
    age = ctx.now - drill.started_at
    ttr = drill.time_to_rollback
    ttr_text = f"{ttr:.1f} s" if ttr is not None else "not measured"
    evidence = (
        f"last passing drill: {drill.kind} on {drill.target} at {when(drill.started_at)} "
        f"({duration(age)} ago) by {drill.actor}" + (f", request #{drill.request_id}" if drill.request_id else ""),
        f"time to rollback: {ttr_text} (budget {DRILL_BUDGET_SECONDS:.0f} s), verified: "
        f"{'yes' if drill.verified else 'no'}",
    )
    if not drill.passed:
        return CheckResult(KEY, CheckStatus.failed, f"The last recorded drill did not pass; {how}.", evidence)
    if age > ctx.drill_max_age:
        return CheckResult(
            KEY, CheckStatus.failed, f"The last passing drill was {duration(age)} ago (limit {limit}); {how}.", evidence
        )
    return CheckResult(
        KEY, CheckStatus.passed, f"Drill passed {duration(age)} ago; time to rollback {ttr_text}.", evidence
    )
