"""What the five checks read for one service/environment at one instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.catalog import ChecklistPolicy
from bot.domain.readiness import DrillRecord
from bot.domain.rollback_requests import ServiceEnv
from bot.kinds import BoundEnvironment, CheckInputs, Kinds


@dataclass(frozen=True)
class ChecklistContext:
    """The environment with its bound kinds, its checklist policy, and what the bot recorded about it."""

    target: ServiceEnv
    now: datetime
    env: BoundEnvironment
    kinds: Kinds
    policy: ChecklistPolicy
    last_passing_drill: DrillRecord | None

    @property
    def inputs(self) -> CheckInputs:
        """What a kind's contribution may use."""
        return CheckInputs(self.target, self.now, self.policy)

    @property
    def telemetry_window(self) -> timedelta:
        """How far back prompt-version logging is checked."""
        return timedelta(hours=self.policy.telemetry_window_hours)

    @property
    def drill_max_age(self) -> timedelta:
        """How old the last passing drill may be."""
        return timedelta(days=self.policy.drill_max_age_days)
