"""Findings: the parts of a checklist verdict, and small helpers for writing verdicts a person can verify."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain.readiness import CheckKey, CheckResult, CheckStatus
from bot.errors import RollbackBotError


@dataclass(frozen=True)
class Finding:
    """One part of a verdict: its status, the evidence lines and any commands."""

    status: CheckStatus
    evidence: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    problem: str = ""


def passed(*evidence: str, commands: tuple[str, ...] = ()) -> Finding:
    """A finding that holds."""
    return Finding(CheckStatus.passed, evidence, commands)


def warned(problem: str, *evidence: str, commands: tuple[str, ...] = ()) -> Finding:
    """A finding that holds with a caveat (``problem`` goes into the summary)."""
    return Finding(CheckStatus.warn, evidence, commands, problem)


def failed(problem: str, *evidence: str, commands: tuple[str, ...] = ()) -> Finding:
    """A finding that does not hold (``problem`` goes into the summary)."""
    return Finding(CheckStatus.failed, evidence, commands, problem)


def combine(key: CheckKey, findings: list[Finding], *, ok_summary: str) -> CheckResult:
    """One result from several findings: the worst status, problems of that status in the summary."""
    status = worst_of(findings)
    evidence = tuple(line for f in findings for line in f.evidence)
    commands = tuple(dict.fromkeys(cmd for f in findings for cmd in f.commands))
    problems = [f.problem for f in findings if f.status is status and f.problem]
    summary = "; ".join(problems) + "." if status is not CheckStatus.passed and problems else ok_summary
    return CheckResult(key, status, summary, evidence, commands)


def worst_of(findings: list[Finding]) -> CheckStatus:
    """fail beats warn beats pass (pass when there is nothing)."""
    statuses = {f.status for f in findings}
    for status in (CheckStatus.failed, CheckStatus.warn):
        if status in statuses:
            return status
    return CheckStatus.passed


def when(moment: datetime) -> str:
    """An instant as people read it in evidence: ``2026-11-26 09:00 UTC``."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def iso_z(moment: datetime) -> str:
    """An instant as a CLI argument: ``2026-11-26T09:00:00Z``."""
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%S}Z"


def duration(span: timedelta) -> str:
    """A span as people read it: ``45 min``, ``5 h 10 min``, ``3 d 4 h`` (negative spans read as 0 min)."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def guarded(label: str, build: Callable[[], list[Finding]]) -> list[Finding]:
    """Run ``build``; a ``RollbackBotError`` becomes one failed finding naming ``label``."""
    try:
        return build()
    except RollbackBotError as exc:
        return [failed(f"{label}: {exc.user_message}", f"{label}: could not be read ({type(exc).__name__})")]
