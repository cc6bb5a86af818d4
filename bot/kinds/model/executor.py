"""Model rollback: re-pin an Azure OpenAI deployment to an explicit earlier model version (never "latest")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bot.domain.azure import ModelDeployment, ModelVersionInfo
from bot.domain.facts import Facts, cell
from bot.domain.kinds import MODEL
from bot.domain.plan import ChangeEvent, Choice, Plan, StepResult, Verification
from bot.domain.readiness import CheckKey
from bot.domain.releases import LayerItem
from bot.domain.versions import previous_version, version_key
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
from bot.kinds.model.checks import model_findings
from bot.kinds.model.handle import ModelHandle
from bot.kinds.model.pinning import NO_AUTO_UPGRADE, deployment_item, pin_command
from bot.kinds.model.state import ModelPin

RETIRED = {"Deprecated", "Retired"}


def _split(choice: str) -> tuple[str, str]:
    name, _, version = choice.partition("@")
    if not name or not version:
        raise UsageError(
            f"“{choice}” is not a model target; expected DEPLOYMENT@VERSION, e.g. gpt4o-stable@2024-05-13."
        )
    return name, version


class DeploymentsLive(LiveState):
    """The configured deployments as read now."""

    def __init__(self, account: str, deployments: list[ModelDeployment]) -> None:
        self.account = account
        self.deployments = deployments

    def facts(self) -> Facts:
        return Facts(
            title="Azure OpenAI",
            headline=f"account {self.account}",
            columns=("DEPLOYMENT", "MODEL", "VERSION", "UPGRADE", "STATE"),
            rows=tuple(
                (d.name, cell(d.model), cell(d.version), cell(d.version_upgrade_option), cell(d.provisioning_state))
                for d in self.deployments
            ),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "deployments": [
                {
                    "name": d.name,
                    "model": d.model,
                    "version": d.version,
                    "version_upgrade_option": d.version_upgrade_option,
                    "provisioning_state": d.provisioning_state,
                }
                for d in self.deployments
            ]
        }


class ModelRepin(BoundKind[ModelPin]):
    """Puts a deployment back on an earlier model version (default: the newest one older than what it runs)."""

    kind = MODEL
    pointer_step = "pin model version"

    def __init__(self, handle: ModelHandle, services: KindServices) -> None:
        self._h = handle
        self._clock = services.clock

    def _deployable(self, catalog: list[ModelVersionInfo], dep: ModelDeployment) -> list[ModelVersionInfo]:
        now = self._clock()
        return sorted(
            (
                m
                for m in catalog
                if m.name == dep.model
                and m.version != dep.version
                and m.lifecycle_status not in RETIRED
                and (m.deprecation_inference is None or m.deprecation_inference > now)
            ),
            key=lambda m: version_key(m.version),
            reverse=True,
        )

    def _options(self) -> tuple[list[ModelDeployment], list[Choice], str | None]:
        deployments = [self._h.api.get_deployment(self._h.ref, name) for name in self._h.deployments]
        catalog = self._h.api.list_account_models(self._h.ref)
        choices: list[Choice] = []
        default: str | None = None
        for dep in deployments:
            deployable = self._deployable(catalog, dep)
            choices += [
                Choice(f"{dep.name}@{m.version}", f"{dep.name} → {m.version} · {m.lifecycle_status or '?'}"[:75])
                for m in deployable
            ]
            prev = previous_version(deployable, dep)
            if default is None and prev is not None:
                default = f"{dep.name}@{prev.version}"
        return deployments, choices, default

    def plan(self, *, choice: str | None = None) -> Plan[ModelPin]:
        deployments, choices, default = self._options()
        picked = choice or default
        if picked is None:
            return Plan.blocked(
                self.kind,
                "No configured deployment has an earlier model version that is still deployable.",
                current_text="no earlier model version",
                choices=tuple(choices),
            )
        if picked not in {c.value for c in choices}:
            raise UsageError(f"“{picked}” is not a deployable earlier model version for {self._h.ref.account}.")
        name, version = _split(picked)
        dep = next(d for d in deployments if d.name == name)
        current = ModelPin.of(dep)
        desired = ModelPin(name, dep.model, version, NO_AUTO_UPGRADE)
        return Plan(
            kind=self.kind,
            choice=picked,
            current=current,
            desired=desired,
            current_text=f"{name}: {dep.model} {dep.version} ({dep.version_upgrade_option or 'upgrade option?'})",
            desired_text=desired.describe(),
            commands=(self._command(dep, version, NO_AUTO_UPGRADE),),
            roll_forward=(self._command(dep, dep.version or "?", dep.version_upgrade_option),),
            risks=self._risks(dep, version),
            steps=(self.pointer_step, "verify deployment"),
            choices=tuple(choices),
        )

    def _command(self, dep: ModelDeployment, version: str, upgrade: str | None) -> str:
        # The Azure CLI cannot set versionUpgradeOption: the deployment's own PUT is the exact command.
        return pin_command(self._h.ref, dep, version=version, option=upgrade)

    def _risks(self, dep: ModelDeployment, version: str) -> tuple[str, ...]:
        return (
            f"Azure updates {dep.name} in place: calls may be slower or fail for a few minutes while it does.",
            f"Answers come from {dep.model} {version} again: output format and behaviour change back, and prompts "
            f"tuned for {dep.version} may do worse (an untested pair if the prompt changed since).",
            "The deployment is pinned with NoAutoUpgrade, so Azure will not move it forward by itself.",
        )

    def capture(self, plan: Plan[ModelPin]) -> ModelPin:
        current, _ = require_state(plan)
        return ModelPin.of(self._h.api.get_deployment(self._h.ref, current.deployment))

    def _pin(self, to: ModelPin) -> tuple[str, dict[str, Any]]:
        if not to.version:
            raise UsageError(f"{to.deployment}: no model version to pin")
        dep = self._h.api.set_model_version(
            self._h.ref, to.deployment, to.version, upgrade_option=to.upgrade_option or NO_AUTO_UPGRADE
        )
        return f"{to.deployment} now runs {dep.model} {dep.version}", {"version": dep.version}

    def execute(self, plan: Plan[ModelPin]) -> Iterator[StepResult]:
        _, desired = require_state(plan)
        yield timed(self.pointer_step, lambda: self._pin(desired))

    def verify(self, plan: Plan[ModelPin]) -> Verification:
        _, desired = require_state(plan)

        def deployment() -> tuple[bool, str]:
            dep = self._h.api.get_deployment(self._h.ref, desired.deployment)
            state = dep.provisioning_state or "state not reported"
            if ModelPin.of(dep) == desired and dep.provisioning_state in (None, "Succeeded"):
                return True, f"{dep.name} runs {dep.model} {dep.version} ({state})"
            return False, f"{dep.name} reads back as {dep.model} {dep.version} ({state}), not {desired.version}"

        return Verification((check("verify deployment", deployment),))

    def restore(self, snapshot: ModelPin, live: ModelPin) -> Iterator[StepResult]:
        if live != snapshot:
            yield timed("restore model version", lambda: self._pin(snapshot))

    def restorable(self, snapshot: ModelPin) -> str | None:
        if not snapshot.version:
            return f"{snapshot.deployment} reports no model version, so it could not be pinned back."
        return None

    def changes(self, *, since: datetime) -> list[ChangeEvent]:
        events = []
        for name in self._h.deployments:
            dep = self._h.api.get_deployment(self._h.ref, name)
            # ARM's last-modified time: a version change, but also a capacity change. Said as it is.
            if dep.last_modified and dep.last_modified >= since:
                summary = f"deployment {name} modified; runs {dep.model} {dep.version} now"
                events.append(ChangeEvent(at=dep.last_modified, kind=self.kind, summary=summary))
        return events

    def read(self) -> LiveState:
        listed = {d.name: d for d in self._h.api.list_deployments(self._h.ref)}
        names = list(self._h.deployments) or list(listed)
        found = [listed[n] if n in listed else self._h.api.get_deployment(self._h.ref, n) for n in names]
        return DeploymentsLive(self._h.ref.account, found)

    def contribute(self, key: CheckKey, inputs: CheckInputs) -> Contribution | None:
        return model_findings(self._h, inputs.now) if key is CheckKey.rollback_command else None

    def release_items(self) -> tuple[LayerItem, ...]:
        """Each configured deployment's model and version (planned back by re-pinning that version)."""
        ref = self._h.ref
        return tuple(deployment_item(ref, self._h.api.get_deployment(ref, name)) for name in self._h.deployments)
