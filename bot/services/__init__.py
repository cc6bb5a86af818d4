"""Use-cases. ``Deps`` is the one object handlers, the scheduler and the CLI receive."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.catalog import Catalog
from bot.domain.kinds import BUILTIN_KINDS, KindName
from bot.domain.model import ServiceEnv
from bot.executors.base import Executor
from bot.ports.azure import EnvironmentPorts
from bot.ports.health import HealthProbe
from bot.ports.metrics import Metrics
from bot.ports.notify import Notifier
from bot.ports.slack import SlackDirectory
from bot.ports.store import AuditLog, ChecklistLog, DrillLog, HealthCheck, RequestRepository
from bot.ports.telemetry import TelemetryQuery

Background = Callable[[Callable[[], object]], None]


@dataclass(frozen=True)
class EnvironmentHandles:
    """Everything the bot can reach for one service/environment."""

    executors: Mapping[KindName, Executor]
    azure: EnvironmentPorts = field(default_factory=EnvironmentPorts)
    telemetry: TelemetryQuery | None = None
    openai_location: str | None = None


@dataclass(frozen=True)
class Deps:
    """Collaborators of the use-cases; built once by the composition root."""

    catalog: Catalog
    requests: RequestRepository
    audit: AuditLog
    health: HealthCheck
    directory: SlackDirectory
    metrics: Metrics
    clock: Callable[[], datetime]
    environment: Callable[[ServiceEnv], EnvironmentHandles]
    notifier: Notifier
    run_in_background: Background
    probe: HealthProbe
    drills: DrillLog
    checklists: ChecklistLog
    replica_id: str = "rollback-bot"
    kinds: tuple[KindName, ...] = BUILTIN_KINDS  # the kinds this bot knows, in the runbook's order
    # Within the block, each read of live state is made once and shared (a checklist reads some twice).
    read_snapshot: Callable[[], AbstractContextManager[None]] = nullcontext

    def executors(self, target: ServiceEnv) -> Mapping[KindName, Executor]:
        """The executors configured for ``target``."""
        return self.environment(target).executors
