"""Use-cases. ``Deps`` is the one object handlers, the scheduler and the CLI receive."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.catalog import Catalog
from bot.domain.leases import LeasePolicy
from bot.domain.rollback_requests import ServiceEnv
from bot.kinds import BoundEnvironment, Kinds
from bot.ports.deliveries import DeliveryLog, ProcessDeliveryLog
from bot.ports.deploys import DeployRuns, FreezeStore
from bot.ports.health import HealthProbe
from bot.ports.metrics import Metrics
from bot.ports.notify import DeployMessages, Notifier
from bot.ports.releases import ReleaseLog
from bot.ports.slack import SlackDirectory
from bot.ports.store import AuditLog, ChecklistLog, DrillLog, HealthCheck, RequestRepository, TargetSlots
from bot.ports.watches import WatchStore
from bot.services.replica import KeepAlive, LocalExecutions, no_heartbeat

Background = Callable[[Callable[[], object]], None]


@dataclass(frozen=True)
class Deps:
    """Collaborators of the use-cases; built once by the composition root."""

    catalog: Catalog
    kinds: Kinds  # the registered kinds, in the order people see them
    requests: RequestRepository
    audit: AuditLog
    health: HealthCheck
    directory: SlackDirectory
    metrics: Metrics
    clock: Callable[[], datetime]
    # Each environment with its kinds bound (on first use; a binding failure degrades only that environment).
    environment: Callable[[ServiceEnv], BoundEnvironment]
    notifier: Notifier
    run_in_background: Background
    drills: DrillLog
    checklists: ChecklistLog
    releases: ReleaseLog
    replica_id: str = "rollback-bot"
    # Proof after rollback (bot.services.proof); None: no signal watches are kept.
    watches: WatchStore | None = None
    # Within the block, each read of live state is made once and shared (a checklist reads some twice).
    read_snapshot: Callable[[], AbstractContextManager[None]] = nullcontext
    # Slack deliveries already processed (the bot's database: a replay changes nothing on any replica).
    deliveries: DeliveryLog = field(default_factory=ProcessDeliveryLog)
    # Executions: leases on the database's clock, this replica's running executions, the heartbeat.
    leases: LeasePolicy = field(default_factory=LeasePolicy)
    local: LocalExecutions = field(default_factory=LocalExecutions)
    keep_alive: KeepAlive = no_heartbeat
    # Slots of processes that change a target without a request (a deploy …); requests hold theirs themselves.
    slots: TargetSlots | None = None
    # One line when an exception is Slack refusing or not answering a listener's call (None: a bug of the bot).
    slack_failure: Callable[[BaseException], str | None] = lambda _error: None
    # Deploys: freezes, deploy runs (abort flags), their progress messages, and the health probe of the gates.
    freezes: FreezeStore | None = None
    deploy_runs: DeployRuns | None = None
    deploy_messages: DeployMessages | None = None
    probe: HealthProbe | None = None
