"""What every executor offers: a read-only plan, step-by-step execution, verification, recent changes."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from bot.domain.kinds import KindName
from bot.domain.plan import ChangeEvent, Plan, StepResult, Verification


class Executor(ABC):
    """Rolls one kind of thing back for one service/environment."""

    kind: KindName
    pointer_step: str  # the step that moves the pointer (a drill's "pointer moved" phase ends with it)

    @abstractmethod
    def plan(self, *, choice: str | None = None) -> Plan:
        """Build a plan from live state; read-only. ``choice`` picks the target (default: previous known-good).

        Raises:
            UsageError: ``choice`` is not a valid target.
        """

    @abstractmethod
    def execute(self, plan: Plan) -> Iterator[StepResult]:
        """Carry the plan out, yielding each finished step; raise a ``RollbackBotError`` when a step fails."""

    @abstractmethod
    def roll_forward(self, plan: Plan) -> Iterator[StepResult]:
        """Undo an executed plan (put ``plan.current`` back), for drills; yields each finished step."""

    @abstractmethod
    def verify(self, plan: Plan) -> Verification:
        """Check live state against the plan's desired state."""

    @abstractmethod
    def changes(self, *, since: datetime) -> list[ChangeEvent]:
        """Changes of this kind since ``since``, for the 'what changed?' timeline."""

    @abstractmethod
    def snapshot(self) -> list[str]:
        """Short lines describing live state (for the investigate-first message and status)."""


def timed(name: str, action: Callable[[], tuple[str, dict[str, Any]]]) -> StepResult:
    """Run one step and time it; ``action`` returns (detail, data)."""
    started = time.monotonic()
    detail, data = action()
    return StepResult(name=name, ok=True, seconds=round(time.monotonic() - started, 3), detail=detail, data=data)
