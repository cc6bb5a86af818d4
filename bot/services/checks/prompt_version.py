"""Check 3: every LLM call in the window carries a prompt version (from the configured telemetry query)."""

from __future__ import annotations

from bot.domain.findings import duration, when
from bot.domain.readiness import CheckKey, CheckResult, CheckStatus
from bot.services.checks.context import ChecklistContext

KEY = CheckKey.prompt_version


def check_prompt_version_logged(ctx: ChecklistContext) -> CheckResult:
    """100 % → pass; less → fail; no telemetry or no calls → warn."""
    if ctx.env.telemetry is None:
        return CheckResult(
            KEY,
            CheckStatus.warn,
            "Telemetry is not configured, so prompt-version logging cannot be verified.",
            ("no telemetry configured (telemetry.database_url / telemetry.query)",),
        )
    since = ctx.now - ctx.telemetry_window
    coverage = ctx.env.telemetry.prompt_version_coverage(since=since)
    window = f"last {duration(ctx.telemetry_window)} (since {when(since)})"
    counts = f"{coverage.with_version} of {coverage.total} LLM calls carry a prompt version"
    evidence = (f"window: {window}", counts)
    if coverage.total == 0:
        return CheckResult(KEY, CheckStatus.warn, f"No LLM calls logged in the {window}.", evidence)
    if coverage.with_version >= coverage.total:
        return CheckResult(KEY, CheckStatus.passed, f"100 % of LLM calls carry a prompt version ({counts}).", evidence)
    missing = coverage.total - coverage.with_version
    return CheckResult(
        KEY,
        CheckStatus.failed,
        f"{_percent(coverage.with_version, coverage.total)} of LLM calls carry a prompt version "
        f"({coverage.with_version} of {coverage.total}; {missing} without) in the {window}.",
        evidence,
    )


def _percent(part: int, whole: int) -> str:
    """Rounded down to 0.1 %, so anything short of all never reads as 100 %."""
    tenths = part * 1000 // whole
    return f"{tenths // 10}.{tenths % 10} %"
