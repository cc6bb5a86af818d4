"""Binding each environment's kinds to their resources, on first use (concrete adapters come from the kinds' wiring).

One environment that cannot be bound (a kind whose adapter refuses its configuration) is *degraded*:
the kinds that could not be bound are absent with the reason, the others work, and every other
environment is unaffected. Binding opens no connection and runs no DDL.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Engine

from bot.adapters.azure.policies import AzureErrorCounter
from bot.adapters.db.engine import make_engine
from bot.adapters.prompts.store import SqlPromptStore
from bot.adapters.telemetry import build_telemetry
from bot.config import AppConfig, EnvironmentConfig
from bot.domain.deploy import DeployPolicy
from bot.domain.kinds import KindName
from bot.domain.rollback_requests import ServiceEnv
from bot.errors import RollbackBotError, UsageError
from bot.kinds import BoundEnvironment, BoundKind, KindServices
from bot.kinds.edge import BindContext, ComposeContext, KindRegistry
from bot.kinds.prompt import KIND as PROMPT_KIND
from bot.kinds.prompt.wiring import PromptsConfig, prompts_init_command
from bot.ports.metrics import Metrics
from bot.ports.releases import ReleaseLog
from bot.services.deploy.template_guard import DeployTemplateGuard

log = logging.getLogger("rollback_bot.bootstrap")
TELEMETRY = KindName("telemetry")  # not a kind: named like one where an environment lists what is unavailable


class Environments:
    """Every configured service/environment, bound on first use and kept (``close`` releases databases)."""

    def __init__(
        self,
        config: AppConfig,
        registry: KindRegistry,
        *,
        services: KindServices,
        clock: Callable[[], datetime],
        azure_client_kwargs: Mapping[str, Any] | None = None,
        unavailable: Mapping[tuple[ServiceEnv, KindName], str] | None = None,
        releases: ReleaseLog | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._config = config
        self._registry = registry
        self._services = services
        self._clock = clock
        self._kwargs = dict(azure_client_kwargs or {})
        self._unavailable = dict(unavailable or {})
        self._releases = releases
        self._metrics = metrics
        self._lock = threading.Lock()
        self._bound: dict[ServiceEnv, BoundEnvironment] = {}
        self._engines: list[Engine] = []

    def __call__(self, target: ServiceEnv) -> BoundEnvironment:
        with self._lock:
            if target not in self._bound:
                env = self._config.environment(target.service, target.environment)
                if env is None:
                    raise UsageError(f"Unknown service/environment {target}.")
                self._bound[target] = self._bind(target, env)
            return self._bound[target]

    def close(self) -> None:
        """Release the prompt and telemetry databases' connections."""
        with self._lock:
            for engine in self._engines:
                engine.dispose()
            self._engines.clear()
            self._bound.clear()

    def configured(self) -> list[ServiceEnv]:
        """Every configured service/environment, in the configuration's order."""
        return [ServiceEnv(s.name, e.name) for s in self._config.services for e in s.environments]

    def problems(self) -> dict[ServiceEnv, dict[KindName, str]]:
        """Each configured environment's unavailable kinds with the reason (empty: not degraded); binds those not
        bound yet (binding opens no connection)."""
        found: dict[ServiceEnv, dict[KindName, str]] = {}
        for target in self.configured():
            try:
                found[target] = dict(self(target).problems)
            except Exception as exc:  # never the readiness answer's failure: the reason, by type
                found[target] = {KindName("environment"): f"could not be bound ({type(exc).__name__})"}
        return found

    def _client_kwargs(self, target: ServiceEnv) -> dict[str, Any]:
        """The Azure clients' options, with the error counter of ``target`` when metrics are exported."""
        if self._metrics is None:
            return self._kwargs
        counter = AzureErrorCounter(partial(self._metrics.count, "azure_errors", target=target))
        return {**self._kwargs, "per_call_policies": [*self._kwargs.get("per_call_policies", ()), counter]}

    def _bind(self, target: ServiceEnv, env: EnvironmentConfig) -> BoundEnvironment:
        kinds: dict[KindName, BoundKind[Any]] = {}
        handles: dict[KindName, object] = {}
        guard = DeployTemplateGuard(probe=self._services.probe, clock=self._clock, policy=deploy_policy(env))
        ctx = BindContext(
            target,
            self._config.azure,
            self._clock,
            self._client_kwargs(target),
            self._engines,
            handles=handles,
            releases=self._releases,
            guard=guard,
        )
        problems: dict[KindName, str] = {}
        for plugin in self._registry.plugins:
            block = env.block(plugin.key)
            name = plugin.kind.name
            if block is None:
                continue
            if (target, name) in self._unavailable:
                problems[name] = self._unavailable[(target, name)]
                continue
            try:
                handles[name] = plugin.bind(block, ctx)
                kinds[name] = plugin.kind.bind(handles[name], self._services)
            except RollbackBotError as exc:
                problems[name] = exc.user_message
                log.error("%s: %s rollbacks unavailable: %s", target, name, exc.user_message)
            except Exception as exc:  # an adapter refusing its configuration: this kind only, reason by type
                problems[name] = f"its configuration could not be used ({type(exc).__name__})"
                log.error("%s: %s rollbacks unavailable: %s", target, name, type(exc).__name__)
        self._compose(target, kinds, handles, problems)
        telemetry = None
        if env.telemetry:
            try:
                telemetry = build_telemetry(env.telemetry, engine=ctx.engine, clients=ctx.azure_clients)
            except RollbackBotError as exc:  # e.g. the emulator credential with a remote Log Analytics endpoint
                problems[TELEMETRY] = exc.user_message
            except Exception as exc:  # the URL may hold a secret: said by type
                problems[TELEMETRY] = f"the telemetry configuration could not be used ({type(exc).__name__})"
        return BoundEnvironment(target, kinds, handles, telemetry, problems)

    def _compose(
        self,
        target: ServiceEnv,
        kinds: dict[KindName, BoundKind[Any]],
        handles: dict[KindName, object],
        problems: dict[KindName, str],
    ) -> None:
        """Bind the composed kinds (``release``) to the kinds bound so far."""
        for composed in self._registry.composed:
            name = composed.kind.name
            ctx = ComposeContext(target, dict(kinds), self._registry.kinds, self._releases)
            try:
                handle = composed.bind(ctx)
                if handle is not None:
                    handles[name] = handle
                    kinds[name] = composed.kind.bind(handle, self._services)
            except RollbackBotError as exc:
                problems[name] = exc.user_message


def deploy_policy(env: EnvironmentConfig) -> DeployPolicy:
    """An environment's ``deploy`` block as the deploy guard's policy."""
    return DeployPolicy(
        channel=env.deploy.channel,
        steps=env.deploy.steps,
        step_seconds=env.deploy.step_seconds,
        health_attempts=env.deploy.health_attempts,
        health_interval_seconds=env.deploy.health_interval_seconds,
        require_checklist=env.deploy.require_checklist,
        max_error_rate_ratio=env.deploy.max_error_rate_ratio,
        ready_timeout_seconds=env.deploy.ready_timeout_seconds,
    )


def warn_about_prompt_guards(config: AppConfig) -> None:
    """At start, read-only: say (in the log) which prompts tables lack their guards.

    The bot never adds the guards itself (``rollback-bot prompts init`` does); a prompt rollback is refused
    while they are missing, and its plan names the command that restores them.
    """
    for service in config.services:
        for env in service.environments:
            block = env.block(PROMPT_KIND.key)
            if not isinstance(block, PromptsConfig):
                continue
            target = ServiceEnv(service.name, env.name)
            try:
                engine = make_engine(block.database_url)
            except Exception as exc:  # e.g. an unparsable URL: said by type, the URL may hold a secret
                log.error("%s: prompts database URL could not be used (%s)", target, type(exc).__name__)
                continue
            try:
                status = SqlPromptStore(engine, block.table, init_command=prompts_init_command(target)).guards()
            except RollbackBotError as exc:
                log.error("%s: prompts database not readable at start: %s", target, exc.user_message)
                continue
            finally:
                engine.dispose()
            if not status.ok:
                log.error("%s: %s", target, status.message())
