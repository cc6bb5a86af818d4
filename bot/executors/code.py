"""Code rollback: shift Container Apps traffic back to a previous, still-active revision."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bot.domain.azure import ContainerAppRef, ContainerAppState, Revision
from bot.domain.kinds import CODE
from bot.domain.plan import ChangeEvent, Choice, Plan, StepResult, Verification
from bot.domain.traffic import TrafficRules
from bot.errors import UsageError, VerificationError
from bot.executors.base import Executor, timed
from bot.ports.azure import ContainerAppsApi
from bot.ports.health import HealthProbe, HealthResult

UNUSABLE = {"Failed", "Deprovisioning", "Deprovisioned"}


def _weights(app: ContainerAppState) -> dict[str, int]:
    return {r.name: r.traffic_weight for r in app.revisions if r.traffic_weight}


def _created(rev: Revision) -> float:
    return rev.created_time.timestamp() if rev.created_time else 0.0


def _serving(app: ContainerAppState) -> str | None:
    """The revision with the most traffic (ties: the newest), else the latest one."""
    weighted = [r for r in app.revisions if r.traffic_weight]
    if not weighted:
        return app.latest_revision
    return max(weighted, key=lambda r: (r.traffic_weight, _created(r))).name


def _label(rev: Revision) -> str:
    tag = (rev.image or "").rsplit(":", 1)[-1] or "?"
    health = rev.health_state or "health unknown"
    created = f"{rev.created_time:%m-%d %H:%M} UTC" if rev.created_time else "?"
    return f"{rev.name} · {tag} · {health} · {created}"[:75]


def _health_text(result: HealthResult) -> str:
    return f"answered {result.status}" if result.status is not None else f"did not answer ({result.detail})"


def _newest_first(revs: list[Revision]) -> list[Revision]:
    return sorted(revs, key=_created, reverse=True)


class TrafficShiftExecutor(Executor):
    """Moves 100 % of traffic to the chosen revision (default: the newest healthy one before the serving one)."""

    kind = CODE
    pointer_step = "shift traffic"

    def __init__(
        self, *, api: ContainerAppsApi, ref: ContainerAppRef, probe: HealthProbe, health_path: str, health_url: str
    ) -> None:
        self._api = api
        self._ref = ref
        self._probe = probe
        self._health_path = health_path
        self._health_url = health_url

    def _candidates(self, app: ContainerAppState) -> list[Revision]:
        """Revisions that can take all traffic: usable and not already at 100 %."""
        return _newest_first(
            [r for r in app.revisions if r.traffic_weight != 100 and r.provisioning_state not in UNUSABLE]
        )

    def _default_target(self, app: ContainerAppState, serving: str | None, candidates: list[Revision]) -> str | None:
        by_name = {r.name: r for r in app.revisions}
        cutoff = by_name[serving].created_time if serving in by_name else None
        others = [r for r in candidates if r.name != serving]
        older = [r for r in others if cutoff is None or r.created_time is None or r.created_time < cutoff]
        healthy = [r for r in older if r.health_state != "Unhealthy"]
        pool = healthy or older or others
        return pool[0].name if pool else None

    def plan(self, *, choice: str | None = None) -> Plan:
        app = self._api.get_app(self._ref)
        serving = _serving(app)
        candidates = self._candidates(app)
        target = choice or self._default_target(app, serving, candidates)
        if choice is not None and choice not in {r.name for r in candidates}:
            raise UsageError(f"{choice!r} is not a revision traffic can be moved to for {self._ref.name}.")
        traffic = dict(sorted(_weights(app).items()))
        current: dict[str, Any] = {"mode": app.active_revisions_mode, "traffic": traffic}
        choices = tuple(Choice(r.name, _label(r)) for r in candidates)
        if target is None:
            return self._blocked(app, current, choices, "There is no other revision to roll back to.")
        desired = dict.fromkeys(traffic, 0) | {target: 100}
        rev = next(r for r in app.revisions if r.name == target)
        if (app.active_revisions_mode or "Single") != "Multiple":
            return self._single_mode_plan(app, current, choices, rev)
        return Plan(
            kind=self.kind,
            executable=True,
            choice=target,
            current_text=self._describe(app, traffic),
            desired_text=f"{target}: 100 % ({rev.image or 'image unknown'})",
            current=current,
            desired={"traffic": dict(sorted(desired.items())), "health_url": self._url_for(rev)},
            commands=self._commands(desired, activate=None if rev.active else target),
            risks=self._risks(rev),
            steps=(*(() if rev.active else (f"activate {target}",)), "shift traffic", "verify traffic", "health check"),
            choices=choices,
        )

    def _describe(self, app: ContainerAppState, traffic: dict[str, int]) -> str:
        by_name = {r.name: r for r in app.revisions}
        parts = []
        for name, weight in sorted(traffic.items(), key=lambda kv: -kv[1]):
            rev = by_name.get(name)
            health = f", {rev.health_state}" if rev and rev.health_state else ""
            parts.append(f"{name}: {weight} %{health}")
        return "; ".join(parts) or "no traffic rules"

    def _commands(self, desired: dict[str, int], *, activate: str | None) -> tuple[str, ...]:
        rg, name = self._ref.resource_group, self._ref.name
        weights = " ".join(f"{rev}={w}" for rev, w in sorted(desired.items(), key=lambda kv: -kv[1]))
        cmds = []
        if activate:
            cmds.append(f"az containerapp revision activate --name {name} --resource-group {rg} --revision {activate}")
        cmds.append(
            f"az containerapp ingress traffic set --name {name} --resource-group {rg} --revision-weight {weights}"
        )
        return tuple(cmds)

    def _risks(self, rev: Revision) -> tuple[str, ...]:
        risks = [
            "Requests in flight on the current revision finish there; new requests go to the target at once.",
            f"{rev.name} runs its own image and configuration: data written since in a newer format "
            "must be readable by it.",
        ]
        if rev.health_state == "Unhealthy":
            risks.insert(0, f"{rev.name} itself reports Unhealthy right now.")
        if not rev.active:
            risks.append(f"{rev.name} is inactive: it is activated first and needs a moment to start replicas.")
        return tuple(risks)

    def _single_mode_plan(
        self, app: ContainerAppState, current: dict[str, Any], choices: tuple[Choice, ...], rev: Revision
    ) -> Plan:
        rg, name = self._ref.resource_group, self._ref.name
        reason = (
            f"{name} runs in Single revision mode, where traffic weights cannot be used, so a traffic shift cannot "
            f"work. Activate the previous revision first (switching the app to Multiple revision mode), then shift."
        )
        return Plan(
            kind=self.kind,
            executable=False,
            choice=rev.name,
            current_text=f"Single revision mode; serving {app.latest_revision}",
            desired_text=f"{rev.name}: 100 %",
            current=dict(current),
            desired={},
            commands=(
                f"az containerapp revision set-mode --name {name} --resource-group {rg} --mode multiple",
                f"az containerapp revision activate --name {name} --resource-group {rg} --revision {rev.name}",
                f"az containerapp ingress traffic set --name {name} --resource-group {rg} "
                f"--revision-weight {rev.name}=100",
            ),
            risks=("Changing the revision mode is an app-level change; review it before running.",),
            choices=choices,
            blocked_reason=reason,
        )

    def _blocked(self, app: ContainerAppState, current: dict[str, Any], choices: tuple[Choice, ...], why: str) -> Plan:
        return Plan(
            kind=self.kind,
            executable=False,
            choice="",
            current_text=f"serving {_serving(app)}",
            desired_text="—",
            current=dict(current),
            desired={},
            choices=choices,
            blocked_reason=why,
        )

    def _url_for(self, rev: Revision) -> str:
        return self._health_url.format(
            fqdn=rev.fqdn or "", revision=rev.name, app=self._ref.name, path=self._health_path
        )

    def execute(self, plan: Plan) -> Iterator[StepResult]:
        target = plan.choice
        if f"activate {target}" in plan.steps:
            yield timed(f"activate {target}", lambda: self._activate(target))
        yield timed("shift traffic", lambda: self._shift(plan))
        yield timed("verify traffic", lambda: self._check_traffic(plan))
        yield timed("health check", lambda: self._check_health(plan))

    def _activate(self, revision: str) -> tuple[str, dict[str, object]]:
        self._api.activate_revision(self._ref, revision)
        return f"{revision} activated", {}

    def _shift(self, plan: Plan) -> tuple[str, dict[str, object]]:
        self._api.set_traffic(self._ref, TrafficRules.named(plan.desired["traffic"]))
        return f"traffic set: {plan.desired['traffic']}", {}

    def _check_traffic(self, plan: Plan) -> tuple[str, dict[str, object]]:
        live = dict(sorted(_weights(self._api.get_app(self._ref)).items()))
        wanted = {k: v for k, v in plan.desired["traffic"].items() if v}
        if live != wanted:
            raise VerificationError(f"Traffic reads back as {live}, not {wanted}; check the app in the portal.")
        return f"weights read back: {live}", {"traffic": live}

    def _live_health_url(self, app: ContainerAppState, revision: str) -> str | None:
        """The target's health URL from the configuration and live state now (not from when it was planned)."""
        rev = next((r for r in app.revisions if r.name == revision), None)
        return self._url_for(rev) if rev else None

    def _check_health(self, plan: Plan) -> tuple[str, dict[str, object]]:
        url = self._live_health_url(self._api.get_app(self._ref), plan.choice)
        if url is None:
            raise VerificationError(f"Traffic moved, but revision {plan.choice} is no longer listed by Azure.")
        result = self._probe.get(url)
        if not result.ok:
            raise VerificationError(
                f"Traffic moved, but {plan.choice}'s health endpoint {_health_text(result)} at {result.url}; "
                "the rollback is in place but the target looks unhealthy."
            )
        return f"{result.url} answered 200", {"health_status": result.status}

    def roll_forward(self, plan: Plan) -> Iterator[StepResult]:
        original = {k: v for k, v in plan.current["traffic"].items()}
        yield timed("restore traffic", lambda: self._restore(original))

    def _restore(self, original: dict[str, int]) -> tuple[str, dict[str, object]]:
        self._api.set_traffic(self._ref, TrafficRules.named(original))
        live = dict(sorted(_weights(self._api.get_app(self._ref)).items()))
        wanted = {k: v for k, v in original.items() if v}
        if live != wanted:
            raise VerificationError(f"Traffic reads back as {live} after the roll-forward, not {wanted}.")
        return f"traffic restored: {live}", {"traffic": live}

    def verify(self, plan: Plan) -> Verification:
        app = self._api.get_app(self._ref)
        live = dict(sorted(_weights(app).items()))
        wanted = {k: v for k, v in plan.desired.get("traffic", {}).items() if v}
        details = [f"live traffic: {live}"]
        url = self._live_health_url(app, plan.choice) if plan.choice else None
        health_ok = True
        if url:
            result = self._probe.get(url)
            health_ok = result.ok
            details.append(f"health {result.url}: {_health_text(result)}")
        return Verification(ok=live == wanted and health_ok, details=tuple(details))

    def changes(self, *, since: datetime) -> list[ChangeEvent]:
        events = []
        for rev in self._api.list_revisions(self._ref):
            if rev.created_time and rev.created_time >= since:
                summary = f"new revision {rev.name} ({rev.image or 'image unknown'}), {rev.traffic_weight} % traffic"
                events.append(ChangeEvent(at=rev.created_time, kind=self.kind, summary=summary))
        return events

    def snapshot(self) -> list[str]:
        app = self._api.get_app(self._ref)
        lines = [f"*{app.name}* ({app.active_revisions_mode or 'Single'} revision mode)"]
        for rev in _newest_first(list(app.revisions)):
            state = "active" if rev.active else "inactive"
            lines.append(
                f"• `{rev.name}` {rev.traffic_weight} % · {state} · {rev.health_state or 'health unknown'}"
                f" · {rev.running_state or '?'} · {rev.image or 'image unknown'}"
            )
        return lines
