"""Model rollback: re-pin an Azure OpenAI deployment to an explicit earlier model version (never "latest")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from bot.domain.azure import ModelDeployment, ModelVersionInfo, OpenAIAccountRef
from bot.domain.kinds import MODEL
from bot.domain.plan import ChangeEvent, Choice, Plan, StepResult, Verification
from bot.domain.versions import previous_version, version_key
from bot.errors import UsageError, VerificationError
from bot.executors.base import Executor, timed
from bot.ports.azure import ModelDeploymentsApi

RETIRED = {"Deprecated", "Retired"}


def _split(choice: str) -> tuple[str, str]:
    name, _, version = choice.partition("@")
    if not name or not version:
        raise UsageError(
            f"{choice!r} is not a model target; expected DEPLOYMENT@VERSION, e.g. gpt4o-stable@2024-05-13."
        )
    return name, version


class ModelPinExecutor(Executor):
    """Puts a deployment back on an earlier model version (default: the newest one older than what it runs)."""

    kind = MODEL
    pointer_step = "pin model version"

    def __init__(
        self,
        *,
        api: ModelDeploymentsApi,
        ref: OpenAIAccountRef,
        deployments: tuple[str, ...],
        clock: Callable[[], datetime],
    ) -> None:
        self._api = api
        self._ref = ref
        self._deployments = deployments
        self._clock = clock

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
        deployments = [self._api.get_deployment(self._ref, name) for name in self._deployments]
        catalog = self._api.list_account_models(self._ref)
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

    def plan(self, *, choice: str | None = None) -> Plan:
        deployments, choices, default = self._options()
        picked = choice or default
        if picked is None:
            return Plan(
                self.kind,
                False,
                "",
                "no earlier model version",
                "—",
                {},
                {},
                choices=tuple(choices),
                blocked_reason="No configured deployment has an earlier model version that is still deployable.",
            )
        if picked not in {c.value for c in choices}:
            raise UsageError(f"{picked!r} is not a deployable earlier model version for {self._ref.account}.")
        name, version = _split(picked)
        dep = next(d for d in deployments if d.name == name)
        return Plan(
            kind=self.kind,
            executable=True,
            choice=picked,
            current_text=f"{name}: {dep.model} {dep.version} ({dep.version_upgrade_option or 'upgrade option?'})",
            desired_text=f"{name}: {dep.model} {version} (NoAutoUpgrade)",
            current={"deployment": name, "version": dep.version},
            desired={"deployment": name, "version": version},
            commands=(self._command(dep, version),),
            risks=self._risks(dep, version),
            steps=(self.pointer_step, "verify deployment"),
            choices=tuple(choices),
        )

    def _command(self, dep: ModelDeployment, version: str) -> str:
        return (
            f"az cognitiveservices account deployment create --name {self._ref.account} "
            f"--resource-group {self._ref.resource_group} --deployment-name {dep.name} --model-name {dep.model} "
            f"--model-version {version} --model-format {dep.format or 'OpenAI'} "
            f"--sku-name {dep.sku_name or 'Standard'} --sku-capacity {dep.sku_capacity or 1}"
        )

    def _risks(self, dep: ModelDeployment, version: str) -> tuple[str, ...]:
        return (
            f"Azure updates {dep.name} in place: calls may be slower or fail for a few minutes while it does.",
            f"Answers come from {dep.model} {version} again: output format and behaviour change back, and prompts "
            f"tuned for {dep.version} may do worse (an untested pair if the prompt changed since).",
            "The deployment is pinned with NoAutoUpgrade, so Azure will not move it forward by itself.",
        )

    def execute(self, plan: Plan) -> Iterator[StepResult]:
        name, version = _split(plan.choice)

        def pin() -> tuple[str, dict[str, object]]:
            dep = self._api.set_model_version(self._ref, name, version)
            return f"{name} now runs {dep.model} {dep.version}", {"version": dep.version}

        yield timed(self.pointer_step, pin)
        yield timed("verify deployment", lambda: self._check(name, version))

    def _check(self, name: str, version: str) -> tuple[str, dict[str, object]]:
        dep = self._api.get_deployment(self._ref, name)
        if dep.version != version or dep.provisioning_state not in (None, "Succeeded"):
            raise VerificationError(
                f"{name} reads back as {dep.model} {dep.version} ({dep.provisioning_state}), not {version}."
            )
        return f"{name} runs {dep.model} {dep.version} ({dep.provisioning_state or 'state not reported'})", {}

    def roll_forward(self, plan: Plan) -> Iterator[StepResult]:
        name, original = str(plan.current["deployment"]), str(plan.current["version"])

        def restore() -> tuple[str, dict[str, object]]:
            dep = self._api.set_model_version(self._ref, name, original)
            return f"{name} back on {dep.model} {dep.version}", {}

        yield timed("restore model version", restore)
        yield timed("verify restored deployment", lambda: self._check(name, original))

    def verify(self, plan: Plan) -> Verification:
        name = str(plan.desired.get("deployment", ""))
        dep = self._api.get_deployment(self._ref, name)
        ok = dep.version == plan.desired.get("version") and dep.provisioning_state in (None, "Succeeded")
        return Verification(ok=ok, details=(f"{name}: {dep.model} {dep.version} ({dep.provisioning_state})",))

    def changes(self, *, since: datetime) -> list[ChangeEvent]:
        events = []
        for name in self._deployments:
            dep = self._api.get_deployment(self._ref, name)
            # ARM's last-modified time: a version change, but also a capacity change. Said as it is.
            if dep.last_modified and dep.last_modified >= since:
                summary = f"deployment {name} modified; runs {dep.model} {dep.version} now"
                events.append(ChangeEvent(at=dep.last_modified, kind=self.kind, summary=summary))
        return events

    def snapshot(self) -> list[str]:
        lines = [f"*Model deployments* ({self._ref.account})"]
        for name in self._deployments:
            dep = self._api.get_deployment(self._ref, name)
            lines.append(
                f"• `{name}` {dep.model} {dep.version} · {dep.version_upgrade_option or '?'} · "
                f"{dep.provisioning_state or '?'}"
            )
        return lines
