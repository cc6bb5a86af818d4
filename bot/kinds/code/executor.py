"""Code rollback: pin Container Apps traffic to a previous, still-active revision; verify; put rules back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bot.domain.kinds import CODE
from bot.domain.plan import ChangeEvent, Choice, Plan, StepResult, Verification
from bot.domain.readiness import CheckKey
from bot.domain.releases import LayerItem
from bot.errors import UsageError
from bot.kinds.base import (
    BoundKind,
    CheckInputs,
    Contribution,
    KindServices,
    LiveState,
    check,
    require_state,
    timed,
)
from bot.kinds.code import planning
from bot.kinds.code.checks import check_previous_revision
from bot.kinds.code.handle import CodeHandle
from bot.kinds.code.reader import AppLive
from bot.kinds.code.state import CodeState
from bot.kinds.contributions import plan_findings
from bot.ports.health import HealthResult


def health_text(result: HealthResult) -> str:
    """``answered 503`` or ``did not answer (reason)``."""
    return f"answered {result.status}" if result.status is not None else f"did not answer ({result.detail})"


class TrafficShift(BoundKind[CodeState]):
    """Moves 100 % of traffic to the chosen revision (default: the newest healthy one before the serving one)."""

    kind = CODE
    pointer_step = "shift traffic"
    release_stage = 0  # a release rollback moves traffic first: the runbook's fastest safe action

    def __init__(self, handle: CodeHandle, services: KindServices) -> None:
        self._h = handle
        self._services = services

    def plan(self, *, choice: str | None = None) -> Plan[CodeState]:
        app = self._h.api.get_app(self._h.ref)
        pool = planning.candidates(app)
        if choice is not None and choice not in {r.name for r in pool}:
            raise UsageError(f"“{choice}” is not a revision traffic can be moved to for {self._h.ref.name}.")
        target = choice or planning.default_target(app, pool)
        choices = tuple(Choice(r.name, planning.choice_label(r)) for r in pool)
        if target is None:
            return planning.blocked_plan(app, choices, "There is no other revision to roll back to.")
        rev = next(r for r in app.revisions if r.name == target)
        if (app.active_revisions_mode or "Single") != "Multiple":
            return planning.single_mode_plan(self._h.ref, app, rev, choices)
        return planning.pinned_plan(self._h.ref, app, rev, choices)

    def capture(self, plan: Plan[CodeState]) -> CodeState:
        return CodeState.of(self._h.api.get_app(self._h.ref))

    def execute(self, plan: Plan[CodeState]) -> Iterator[StepResult]:
        current, desired = require_state(plan)
        target = plan.choice
        if target not in current.active:
            yield timed(f"activate {target}", lambda: self._activate(target))
        yield timed(self.pointer_step, lambda: self._write(desired))

    def _activate(self, revision: str) -> tuple[str, dict[str, Any]]:
        self._h.api.activate_revision(self._h.ref, revision)
        return f"{revision} activated", {}

    def _deactivate(self, revision: str) -> tuple[str, dict[str, Any]]:
        self._h.api.deactivate_revision(self._h.ref, revision)
        return f"{revision} deactivated", {}

    def _write(self, state: CodeState) -> tuple[str, dict[str, Any]]:
        self._h.api.set_traffic(self._h.ref, state.rules)
        return f"traffic rules set: {state.describe()}", {"rules": state.rules.to_json()}

    def verify(self, plan: Plan[CodeState]) -> Verification:
        _, desired = require_state(plan)
        app = self._h.api.get_app(self._h.ref)
        live = CodeState.of(app)

        def rules() -> tuple[bool, str]:
            if live.rules == desired.rules:
                return True, f"live traffic: {live.describe()}"
            return False, f"live traffic: {live.describe()}, not {desired.describe()}"

        def health() -> tuple[bool, str]:
            rev = app.revision(plan.choice)
            if rev is None:
                return False, f"revision {plan.choice} is no longer listed by Azure"
            result = self._services.probe.get(self._h.health_url_of(rev))
            if result.ok:
                return True, f"{result.url} answered 200"
            return False, f"{plan.choice}'s health endpoint {health_text(result)} at {result.url}"

        return Verification((check("verify traffic", rules), check("health check", health)))

    def restore(self, snapshot: CodeState, live: CodeState) -> Iterator[StepResult]:
        if live.rules != snapshot.rules:
            yield timed("restore traffic rules", lambda: self._write(snapshot))
        for revision in sorted(live.active - snapshot.active):
            yield timed(f"deactivate {revision}", lambda r=revision: self._deactivate(r))  # type: ignore[misc]
        for revision in sorted(snapshot.active - live.active):
            yield timed(f"activate {revision}", lambda r=revision: self._activate(r))  # type: ignore[misc]

    def undo_partial(self, plan: Plan[CodeState], live: CodeState) -> Iterator[StepResult]:
        """A revision activated but traffic not moved: deactivate it again (the rules never changed)."""
        current, desired = require_state(plan)
        if live.rules != current.rules:
            return
        for revision in sorted((desired.active - current.active) & live.active):
            yield timed(f"deactivate {revision}", lambda r=revision: self._deactivate(r))  # type: ignore[misc]

    def restorable(self, snapshot: CodeState) -> str | None:
        if not snapshot.rules.rules:
            return f"{self._h.ref.name} has no traffic rules to write back (Azure routes everything to the latest)."
        return None

    def changes(self, *, since: datetime) -> list[ChangeEvent]:
        events = []
        for rev in self._h.api.list_revisions(self._h.ref):
            if rev.created_time and rev.created_time >= since:
                summary = f"new revision {rev.name} ({rev.image or 'image unknown'}), {rev.traffic_weight} % traffic"
                events.append(ChangeEvent(at=rev.created_time, kind=self.kind, summary=summary))
        return events

    def read(self) -> LiveState:
        return AppLive(self._h.api.get_app(self._h.ref))

    def failing(self) -> str | None:
        return planning.failing_serving(self._h.api.get_app(self._h.ref))

    def release_items(self) -> tuple[LayerItem, ...]:
        return (planning.serving_item(self._h.api.get_app(self._h.ref)),)

    def contribute(self, key: CheckKey, inputs: CheckInputs) -> Contribution | None:
        if key is CheckKey.previous_revision:
            return check_previous_revision(self._h, self, self._services.probe)
        if key is CheckKey.rollback_command:
            return plan_findings(self)
        return None
