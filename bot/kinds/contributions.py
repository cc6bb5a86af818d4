"""Checklist contributions every kind can make from its own plan."""

from __future__ import annotations

from typing import Any

from bot.domain.findings import Finding, failed, passed
from bot.kinds.base import BoundKind


def plan_findings(bound: BoundKind[Any]) -> list[Finding]:
    """Item 2 from the kind's default plan: it must be executable (or planned) and carry its commands."""
    kind = bound.kind
    plan = bound.plan()
    if not plan.executable and bound.executes:
        reason = plan.blocked_reason or "no plan can be built"
        return [failed(f"{kind}: {reason}", f"{kind}: no executable plan: {reason}", commands=plan.commands)]
    if not plan.commands:
        return [failed(f"{kind}: the plan to {plan.desired_text} has no commands", f"{kind}: {plan.current_text}")]
    return [passed(f"{kind}: {plan.current_text} → {plan.desired_text}", commands=plan.commands)]
