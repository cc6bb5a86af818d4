"""Check 3: every LLM call in the window carries a prompt version (the telemetry's ``prompt_versions`` query)."""

from __future__ import annotations

from bot.domain.findings import duration, when
from bot.domain.readiness import CheckKey, CheckResult, CheckStatus
from bot.domain.signals import SignalQuery, TimeWindow
from bot.services.checks.context import ChecklistContext

KEY = CheckKey.prompt_version


def check_prompt_version_logged(ctx: ChecklistContext) -> CheckResult:
    """100 % → pass; less → fail; no telemetry, no calls, or 100 % of a partial result → warn."""
    telemetry = ctx.env.telemetry
    if telemetry is None or not telemetry.has(SignalQuery.prompt_versions):
        what = "Telemetry is not configured" if telemetry is None else "The telemetry has no prompt_versions query"
        return CheckResult(
            KEY,
            CheckStatus.warn,
            f"{what}, so prompt-version logging cannot be verified.",
            ("no prompt_versions query configured (telemetry.query or telemetry.queries.prompt_versions)",),
        )
    window = TimeWindow.ending(ctx.now, ctx.telemetry_window)
    coverage = telemetry.prompt_version_coverage(window)
    span = f"last {duration(ctx.telemetry_window)} (since {when(window.start)})"
    counts = f"{coverage.with_version} of {coverage.total} LLM calls carry a prompt version"
    partial = (coverage.partial,) if coverage.partial else ()
    evidence = (f"window: {span}", counts, f"source: {telemetry.source}", *partial)
    if coverage.total == 0:
        return CheckResult(KEY, CheckStatus.warn, f"No LLM calls logged in the {span}.", evidence)
    if coverage.with_version >= coverage.total and coverage.partial:
        return CheckResult(
            KEY,
            CheckStatus.warn,
            f"Every LLM call read carries a prompt version ({counts}), but {coverage.partial}.",
            evidence,
        )
    if coverage.with_version >= coverage.total:
        return CheckResult(KEY, CheckStatus.passed, f"100 % of LLM calls carry a prompt version ({counts}).", evidence)
    missing = coverage.total - coverage.with_version
    return CheckResult(
        KEY,
        CheckStatus.failed,
        f"{_percent(coverage.with_version, coverage.total)} of LLM calls carry a prompt version "
        f"({coverage.with_version} of {coverage.total}; {missing} without) in the {span}.",
        evidence,
    )


def _percent(part: int, whole: int) -> str:
    """Rounded down to 0.1 %, so anything short of all never reads as 100 %."""
    tenths = part * 1000 // whole
    return f"{tenths // 10}.{tenths % 10} %"
