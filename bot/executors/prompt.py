"""Prompt rollback: re-activate a previous version of a system prompt, atomically, with no deploy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

from bot.domain.kinds import PROMPT
from bot.domain.plan import ChangeEvent, Choice, Plan, StepResult, Verification
from bot.domain.prompts import PromptVersion
from bot.errors import UsageError, VerificationError
from bot.executors.base import Executor, timed
from bot.ports.prompts import PromptStore

ACTOR = "rollback-bot"


def _who(actor: str) -> str:
    """A Slack user id as a mention; anything else (cli:…, rollback-bot) as written."""
    return f"<@{actor}>" if re.fullmatch(r"[UW][A-Z0-9]{2,}", actor) else actor


def _parse_choice(choice: str) -> tuple[str, int]:
    name, _, version = choice.rpartition("@")
    if not name or not version.isdigit():
        raise UsageError(f"{choice!r} is not a prompt version; expected NAME@VERSION, e.g. drug_info@3.")
    return name, int(version)


class PromptActivationExecutor(Executor):
    """Moves a prompt's active pointer back (default: the version active before the latest activation)."""

    kind = PROMPT
    pointer_step = "activate version"

    def __init__(self, *, store: PromptStore) -> None:
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
                        Choice(f"{name}@{v.version}", f"{name} v{v.version} · {v.created_at:%m-%d %H:%M} UTC"[:75])
                    )
        return tuple(out)

    def plan(self, *, choice: str | None = None) -> Plan:
        guards = self._store.guards()
        if not guards.ok:  # refused: without them a rollback could meet two active versions or an edited one
            missing = f"prompt guards missing on {guards.table}; restore them with `{guards.restore_command}`"
            return Plan(self.kind, False, "", missing, "—", {}, {}, blocked_reason=guards.message())
        picked = choice or self._default_choice()
        choices = self._choices()
        if picked is None:
            return Plan(
                self.kind,
                False,
                "",
                "no earlier prompt version",
                "—",
                {},
                {},
                choices=choices,
                blocked_reason="No prompt has an earlier version to go back to.",
            )
        name, version = _parse_choice(picked)
        target = self._store.get(name, version)
        active = self._store.active(name)
        if active is not None and active.version == version:
            raise UsageError(f"{name} v{version} is already the active version.")
        current = {"prompt": name, "active_version": active.version if active else None}
        return Plan(
            kind=self.kind,
            executable=True,
            choice=picked,
            current_text=f"{name} v{active.version} active" if active else f"{name}: no active version",
            desired_text=f"{name} v{version} active",
            current=current,
            desired={"prompt": name, "active_version": version},
            commands=self._store.activation_sql(name, version),
            risks=self._risks(name, target, active),
            steps=("activate version", "verify active version"),
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

    def execute(self, plan: Plan) -> Iterator[StepResult]:
        name, version = _parse_choice(plan.choice)
        expected = plan.current.get("active_version")

        def activate() -> tuple[str, dict[str, object]]:
            act = self._store.activate(name, version, actor=ACTOR, reason="rollback", expected_active=expected)
            return f"{name}: v{act.from_version} → v{act.to_version}", {"from": act.from_version, "to": act.to_version}

        yield timed("activate version", activate)
        yield timed("verify active version", lambda: self._check(name, version))

    def _check(self, name: str, version: int) -> tuple[str, dict[str, object]]:
        active = self._store.active(name)
        if active is None or active.version != version:
            found = active.version if active else None
            raise VerificationError(f"{name} reads back with v{found} active, not v{version}.")
        return f"{name} v{version} is the active version", {"active_version": version}

    def roll_forward(self, plan: Plan) -> Iterator[StepResult]:
        name, version = _parse_choice(plan.choice)
        original = plan.current.get("active_version")
        if original is None:
            return

        def restore() -> tuple[str, dict[str, object]]:
            act = self._store.activate(
                name, int(original), actor=ACTOR, reason="drill roll-forward", expected_active=version
            )
            return f"{name}: v{act.from_version} → v{act.to_version}", {"to": act.to_version}

        yield timed("restore version", restore)
        yield timed("verify restored version", lambda: self._check(name, int(original)))

    def verify(self, plan: Plan) -> Verification:
        name = str(plan.desired.get("prompt", ""))
        active = self._store.active(name) if name else None
        ok = active is not None and active.version == plan.desired.get("active_version")
        return Verification(ok=ok, details=(f"{name} active version: {active.version if active else 'none'}",))

    def changes(self, *, since: datetime) -> list[ChangeEvent]:
        events = []
        for name in self._store.names():
            for act in self._store.history(name, limit=20):
                if act.at >= since:
                    before = "none" if act.from_version is None else f"v{act.from_version}"
                    summary = f"prompt {name}: {before} → v{act.to_version} by {_who(act.actor)}"
                    events.append(ChangeEvent(at=act.at, kind=self.kind, summary=summary))
        return events

    def snapshot(self) -> list[str]:
        lines = ["*Prompts*"]
        for name in self._store.names():
            active = self._store.active(name)
            lines.append(f"• `{name}` active v{active.version}" if active else f"• `{name}`: no active version")
        return lines
