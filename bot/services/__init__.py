"""Use-cases. ``Deps`` is the one object handlers, the scheduler and the CLI receive."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.domain.catalog import Catalog
from bot.domain.model import RollbackKind, ServiceEnv
from bot.executors.base import Executor
from bot.ports.metrics import Metrics
from bot.ports.notify import Notifier
from bot.ports.slack import SlackDirectory
from bot.ports.store import AuditLog, HealthCheck, RequestRepository

ExecutorsFor = Callable[[ServiceEnv], Mapping[RollbackKind, Executor]]
Background = Callable[[Callable[[], object]], None]


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
    executors: ExecutorsFor
    notifier: Notifier
    run_in_background: Background
