"""Building each environment's executors from configuration (concrete adapters are named only here)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from bot.adapters.azure.factory import build_environment_ports
from bot.adapters.db.engine import make_engine
from bot.adapters.prompts.store import SqlPromptStore
from bot.adapters.telemetry import SqlTelemetryQuery
from bot.config import AppConfig, EnvironmentConfig
from bot.domain.kinds import CODE, EMBEDDING, MODEL, PROMPT, KindName
from bot.domain.model import ServiceEnv
from bot.errors import RollbackBotError, UsageError
from bot.executors.base import Executor
from bot.executors.code import TrafficShiftExecutor
from bot.executors.embedding import AliasSwapExecutor
from bot.executors.model import ModelPinExecutor
from bot.executors.prompt import PromptActivationExecutor
from bot.ports.health import HealthProbe
from bot.services import EnvironmentHandles

log = logging.getLogger("rollback_bot.bootstrap")


class EnvironmentRegistry:
    """Executors, Azure ports and telemetry per service/environment, built once at start (errors surface at once)."""

    def __init__(
        self,
        config: AppConfig,
        *,
        probe: HealthProbe,
        clock: Callable[[], datetime],
        azure_client_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        self._by_target: dict[ServiceEnv, EnvironmentHandles] = {}
        self._engines: list[Engine] = []
        for service in config.services:
            for env in service.environments:
                target = ServiceEnv(service.name, env.name)
                self._by_target[target] = _build(
                    config,
                    env,
                    probe=probe,
                    clock=clock,
                    kwargs=dict(azure_client_kwargs or {}),
                    target=target,
                    engines=self._engines,
                )

    def close(self) -> None:
        """Release the prompt and telemetry databases' connections."""
        for engine in self._engines:
            engine.dispose()

    def __call__(self, target: ServiceEnv) -> EnvironmentHandles:
        if target not in self._by_target:
            raise UsageError(f"Unknown service/environment {target}.")
        return self._by_target[target]


def _build(
    config: AppConfig,
    env: EnvironmentConfig,
    *,
    probe: HealthProbe,
    clock: Callable[[], datetime],
    kwargs: dict[str, Any],
    target: ServiceEnv,
    engines: list[Engine],
) -> EnvironmentHandles:
    executors: dict[KindName, Executor] = {}
    ports = build_environment_ports(config.azure, env, **kwargs)
    if ports.container_apps and ports.container_app_ref and env.container_app:
        executors[CODE] = TrafficShiftExecutor(
            api=ports.container_apps,
            ref=ports.container_app_ref,
            probe=probe,
            health_path=env.container_app.health_path,
            health_url=env.container_app.health_url,
        )
    if ports.openai and ports.openai_ref:
        executors[MODEL] = ModelPinExecutor(
            api=ports.openai, ref=ports.openai_ref, deployments=ports.openai_deployments, clock=clock
        )
    if ports.search and ports.search_ref:
        executors[EMBEDDING] = AliasSwapExecutor(api=ports.search, ref=ports.search_ref)
    if env.prompts:
        engine = make_engine(env.prompts.database_url)
        engines.append(engine)
        init = f"rollback-bot prompts init --service {target.service} --env {target.environment}"
        store = SqlPromptStore(engine, env.prompts.table, clock, init_command=init)
        executors[PROMPT] = PromptActivationExecutor(store=store)
        _warn_without_guards(target, store)
    telemetry = None
    if env.telemetry:
        telemetry_engine = make_engine(env.telemetry.database_url)
        engines.append(telemetry_engine)
        telemetry = SqlTelemetryQuery(telemetry_engine, env.telemetry.query)
    location = env.openai.location if env.openai else None
    return EnvironmentHandles(executors=executors, azure=ports, telemetry=telemetry, openai_location=location)


def _warn_without_guards(target: ServiceEnv, store: SqlPromptStore) -> None:
    """Read-only: the bot never adds the guards itself (`prompts init` does); it says when they are missing."""
    try:
        status = store.guards()
    except RollbackBotError as exc:
        log.error("%s: prompts database not readable at start: %s", target, exc.user_message)
        return
    if not status.ok:
        log.error("%s: %s", target, status.message())
