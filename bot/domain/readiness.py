"""The pre-deploy checklist and rollback drills, as pure values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.freeze import Freeze
from bot.domain.kinds import KindName
from bot.domain.rollback_requests import ServiceEnv


class CheckStatus(StrEnum):
    """Outcome of one check."""

    passed = "pass"
    warn = "warn"
    failed = "fail"


class CheckKey(StrEnum):
    """The five checks, in the runbook's order."""

    previous_revision = "previous_revision"
    rollback_command = "rollback_command"
    prompt_version = "prompt_version"
    backup = "backup"
    drill = "drill"


TITLES: dict[CheckKey, str] = {
    CheckKey.previous_revision: "Previous revision is alive",
    CheckKey.rollback_command: "Rollback command documented",
    CheckKey.prompt_version: "Prompt version logged",
    CheckKey.backup: "Database backup taken",
    CheckKey.drill: "Rollback tested (drill)",
}


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict with the evidence a person can verify."""

    key: CheckKey
    status: CheckStatus
    summary: str
    evidence: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """Human title of the check."""
        return TITLES[self.key]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (part of the documented `checklist --json` shape)."""
        return {
            "key": self.key.value,
            "title": self.title,
            "status": self.status.value,
            "summary": self.summary,
            "evidence": list(self.evidence),
            "commands": list(self.commands),
        }


def worst(statuses: list[CheckStatus]) -> CheckStatus:
    """fail beats warn beats pass."""
    if CheckStatus.failed in statuses:
        return CheckStatus.failed
    if CheckStatus.warn in statuses:
        return CheckStatus.warn
    return CheckStatus.passed


@dataclass(frozen=True)
class ChecklistReport:
    """All five checks for one service/environment at one time."""

    target: ServiceEnv
    at: datetime
    results: tuple[CheckResult, ...]
    freeze: Freeze | None = None  # deploys are frozen: shown with the checklist, never a check of its own

    @property
    def overall(self) -> CheckStatus:
        """The worst of the checks."""
        return worst([r.status for r in self.results])

    def exit_code(self, *, strict: bool) -> int:
        """0 pass, 1 fail (warn fails only with ``strict``)."""
        if self.overall is CheckStatus.failed or (strict and self.overall is CheckStatus.warn):
            return 1
        return 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "service": self.target.service,
            "environment": self.target.environment,
            "at": self.at.isoformat(),
            "overall": self.overall.value,
            "checks": [r.to_dict() for r in self.results],
        }


@dataclass(frozen=True)
class ChecklistClaim:
    """A replica's hold on one scheduled fire time of one target, until the run is posted.

    ``attempts`` counts the holders so far (1 for the first); ``run_id`` is set once the checklist ran,
    so a holder that takes over after a failed post posts that run instead of running it again.
    """

    target: ServiceEnv
    fire_time: datetime
    attempts: int = 1
    run_id: int | None = None


class DrillPhase(StrEnum):
    """Timestamps a drill records (seconds since the trigger)."""

    command_issued = "command_issued"
    pointer_moved = "pointer_moved"
    verified = "verified"
    rolled_forward = "rolled_forward"


DRILL_BUDGET_SECONDS = 120.0


@dataclass(frozen=True)
class DrillRecord:
    """One rollback drill: capture, a real rollback, verification and the restore, timed.

    ``rolled_forward`` is recorded only when the restore read back exactly as captured; ``error`` says
    why a drill failed, and whether the layer was restored.
    """

    target: ServiceEnv
    kind: KindName
    actor: str
    started_at: datetime
    phases: dict[str, float] = field(default_factory=dict)
    verified: bool = False
    error: str | None = None
    request_id: int | None = None
    id: int | None = None

    @property
    def time_to_rollback(self) -> float | None:
        """Seconds from trigger to a verified rollback."""
        return self.phases.get(DrillPhase.verified.value)

    @property
    def restored(self) -> bool:
        """The layer was put back exactly as the drill found it (verified)."""
        return DrillPhase.rolled_forward.value in self.phases

    @property
    def passed(self) -> bool:
        """Verified within the budget (≤ 120 s) and restored."""
        ttr = self.time_to_rollback
        return (
            self.verified and self.restored and self.error is None and ttr is not None and ttr <= DRILL_BUDGET_SECONDS
        )
