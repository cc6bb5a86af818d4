"""Prompt rollback: re-activate a previous version of a system prompt, atomically, with no deploy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bot.domain.facts import Facts
from bot.domain.kinds import PROMPT
from bot.domain.plan import ChangeEvent, Choice, Plan, StepResult, Verification
from bot.domain.prompts import PromptVersion
from bot.domain.readiness import CheckKey
from bot.domain.releases import LayerItem
from bot.errors import UsageError
from bot.kinds.base import BoundKind, CheckInputs, Contribution, LiveState, check, require_state, timed
from bot.kinds.contributions import plan_findings
from bot.kinds.prompt.state import PromptPointer
from bot.ports.prompts import PromptStore

ACTOR = "rollback-bot"


def _parse_choice(choice: str) -> tuple[str, int]:
    name, _, version = choice.rpartition("@")
    if not name or not version.isdigit():
        raise UsageError(f"“{choice}” is not a prompt version; expected NAME@VERSION, e.g. drug_info@3.")
    return name, int(version)


class PromptsLive(LiveState):
    """Every prompt with its active version and how many versions it has."""

    def __init__(self, rows: list[tuple[str, int | None, int]]) -> None:
        self.rows = rows

    def facts(self) -> Facts:
        return Facts(
            title="Prompts",
            columns=("PROMPT", "ACTIVE", "VERSIONS"),
            rows=tuple(
                (name, f"active v{active}" if active is not None else "no active version", f"{count} versions")
                for name, active, count in self.rows
            ),
        )

    def to_json(self) -> dict[str, Any]:
        return {"prompts": [{"name": n, "active_version": a, "versions": c} for n, a, c in self.rows]}


class PromptActivation(BoundKind[PromptPointer]):
    """Moves a prompt's active pointer back (default: the version active before the latest activation)."""

    kind = PROMPT
    pointer_step = "activate version"

    def __init__(self, store: PromptStore) -> None:
        self._store = store

    def _default_choice(self) -> str | None:
        latest: tuple[datetime, str, int] | None = None
        for name in self._store.names():
            for act in self._store.history(name, limit=1):
                if act.from_version is not None and (latest is None or act.at > latest[0]):
                    latest = (act.at, name, act.from_version)
        if latest:
            return f"{latest[1]}@{latest[2]}"
        for name in self._store.names():
            active = self._store.active(name)
            older = [v for v in self._store.versions(name) if active and v.version < active.version]
            if older:
                return f"{name}@{older[0].version}"
        return None

    def _choices(self) -> tuple[Choice, ...]:
        out = []
        for name in self._store.names():
            for v in self._store.versions(name):
                if not v.is_active:
                    out.append(
                        Choice(f"{name}@{v.version}", f"{name} v{v.version} · {v.created_at:%Y-%m-%d %H:%M} UTC"[:75])
                    )
        return tuple(out)

    def plan(self, *, choice: str | None = None) -> Plan[PromptPointer]:
        guards = self._store.guards()
        if not guards.ok:  # refused: without them a rollback could meet two active versions or an edited one
            missing = f"prompt guards missing on {guards.table}; restore them with `{guards.restore_command}`"
            return Plan.blocked(self.kind, guards.message(), current_text=missing)
        picked = choice or self._default_choice()
        choices = self._choices()
        if picked is None:
            return Plan.blocked(
                self.kind,
                "No prompt has an earlier version to go back to.",
                current_text="no earlier prompt version",
                choices=choices,
            )
        name, version = _parse_choice(picked)
        target = self._store.get(name, version)
        active = self._store.active(name)
        if active is not None and active.version == version:
            raise UsageError(f"{name} v{version} is already the active version.")
        current = PromptPointer(name, active.version if active else None)
        desired = PromptPointer(name, version)
        return Plan(
            kind=self.kind,
            choice=picked,
            current=current,
            desired=desired,
            current_text=current.describe(),
            desired_text=desired.describe(),
            commands=self._store.activation_sql(name, version),
            roll_forward=self._store.activation_sql(name, active.version) if active else (),
            risks=self._risks(name, target, active),
            steps=(self.pointer_step, "verify active version"),
            choices=choices,
        )

    def _risks(self, name: str, target: PromptVersion, active: PromptVersion | None) -> tuple[str, ...]:
        risks = [
            "App instances that cache prompts keep the old text until their cache expires (keep the TTL ≤ 60 s).",
            f"v{target.version} of {name} may have been written for another model version: an untested pair "
            "if the model changed since.",
        ]
        if active is None:
            risks.insert(0, f"{name} has no active version right now.")
        return tuple(risks)

    def capture(self, plan: Plan[PromptPointer]) -> PromptPointer:
        current, _ = require_state(plan)
        active = self._store.active(current.prompt)
        return PromptPointer(current.prompt, active.version if active else None)

    def execute(self, plan: Plan[PromptPointer]) -> Iterator[StepResult]:
        current, desired = require_state(plan)
        yield timed(self.pointer_step, lambda: self._move(desired, expected=current.active, reason="rollback"))

    def _move(self, to: PromptPointer, *, expected: int | None, reason: str) -> tuple[str, dict[str, Any]]:
        if to.active is None:
            raise UsageError(f"{to.prompt} cannot be left without an active version.")
        act = self._store.activate(to.prompt, to.active, actor=ACTOR, reason=reason, expected_active=expected)
        return f"{to.prompt}: v{act.from_version} → v{act.to_version}", {"from": act.from_version, "to": act.to_version}

    def verify(self, plan: Plan[PromptPointer]) -> Verification:
        _, desired = require_state(plan)

        def active() -> tuple[bool, str]:
            live = self.capture(plan)
            if live == desired:
                return True, f"{desired.prompt} v{desired.active} is the active version"
            return False, f"{desired.prompt} reads back with v{live.active} active, not v{desired.active}"

        return Verification((check("verify active version", active),))

    def restore(self, snapshot: PromptPointer, live: PromptPointer) -> Iterator[StepResult]:
        if live != snapshot:
            yield timed("restore version", lambda: self._move(snapshot, expected=live.active, reason="restore"))

    def restorable(self, snapshot: PromptPointer) -> str | None:
        if snapshot.active is None:
            return f"{snapshot.prompt} has no active version, and the bot never leaves a prompt without one."
        return None

    def changes(self, *, since: datetime) -> list[ChangeEvent]:
        events = []
        for name in self._store.names():
            for act in self._store.history(name, limit=20):
                if act.at >= since:
                    before = "none" if act.from_version is None else f"v{act.from_version}"
                    summary = f"prompt {name}: {before} → v{act.to_version}"
                    events.append(ChangeEvent(at=act.at, kind=self.kind, summary=summary, actor=act.actor))
        return events

    def read(self) -> LiveState:
        rows = []
        for name in self._store.names():
            versions = self._store.versions(name)
            active = next((v.version for v in versions if v.is_active), None)
            rows.append((name, active, len(versions)))
        return PromptsLive(rows)

    def contribute(self, key: CheckKey, inputs: CheckInputs) -> Contribution | None:
        return plan_findings(self) if key is CheckKey.rollback_command else None

    def release_items(self) -> tuple[LayerItem, ...]:
        """Each prompt's active version (planned back by re-activating it)."""
        items = []
        for name in self._store.names():
            active = self._store.active(name)
            items.append(PromptPointer(name, active.version if active else None).layer_item())
        return tuple(items)
