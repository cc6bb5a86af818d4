"""Use-cases. ``Deps`` is the one object handlers, the scheduler and the CLI receive."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.catalog import Catalog
from bot.ports.metrics import Metrics
from bot.ports.slack import SlackDirectory
from bot.ports.store import AuditLog, HealthCheck, RequestRepository


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
