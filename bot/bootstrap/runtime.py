"""The running bot's lifecycle: start-up steps, drain on shutdown, release of what it holds."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_bolt import App
from sqlalchemy import Engine

from bot.adapters.card_queue import QueuedNotifier
from bot.adapters.metrics import PrometheusMetrics
from bot.bootstrap.database import prepare_database
from bot.bootstrap.environments import Environments
from bot.kinds.builtin import BUILTIN
from bot.kinds.edge import KindRegistry
from bot.lifecycle import PoolGroup, Readiness, WorkPool
from bot.scheduler import BotScheduler, build_scheduler
from bot.services import Deps
from bot.services.claims import hand_over
from bot.web import WebApp

log = logging.getLogger("rollback_bot")


@dataclass(frozen=True)
class Drained:
    """What a drain left behind: work still running when its deadline came, executions handed over to other
    replicas, Slack messages not delivered."""

    seconds: float
    listeners: int
    executions: int
    scheduled: bool
    handed_over: tuple[int, ...] = ()
    undelivered: int = 0

    @property
    def complete(self) -> bool:
        return not (self.listeners or self.executions or self.scheduled)


@dataclass
class Runtime:
    """Everything a running bot holds."""

    engine: Engine
    deps: Deps
    metrics: PrometheusMetrics
    bolt: App | None
    web: WebApp
    pool: WorkPool
    listeners: PoolGroup  # Bolt's listeners, then the lanes they hand work to
    environments: Environments
    readiness: Readiness
    # auth.test with the bot token when Slack is configured (start-up and /health/ready call it).
    slack_auth: Callable[[], None] | None = None
    scheduler: BotScheduler | None = None
    # Called first thing by drain(): whatever brings new work in besides HTTP (the Socket Mode connection).
    stop_intake: list[Callable[[], None]] = field(default_factory=list)
    # The kinds this bot runs with (the built-ins unless it was built with more).
    registry: KindRegistry = BUILTIN
    # Card updates and thread messages, delivered in the background (flushed by the drain).
    notifier: QueuedNotifier | None = None

    def start_database(self, *, migrate_db: bool = True) -> None:
        """The database's start-up step: reachable and at this bot's schema (migrated under the migration
        lock unless ``migrate_db`` is off), then the schedule and reconciliation start.

        Raises:
            SchemaTooNewError: a newer bot migrated the database (fatal: a ``ConfigError``).
            SchemaError: not migrated yet with ``migrate_db`` off (retried: `db upgrade` may be running).
        """
        self.deps.health.ping()
        prepare_database(self.engine, migrate_db=migrate_db)
        self.start_background()

    def start_background(self, *, expiry_interval_seconds: float = 30.0) -> None:
        """Run the checklist schedule, the expiry sweep and the claim loop (its first tick at once: it resumes
        what a crash left approved or executing, once the lease of the replica that had it ran out)."""
        self.scheduler = build_scheduler(self.deps, expiry_interval_seconds=expiry_interval_seconds)
        self.scheduler.start()

    def drain(self, deadline: float) -> Drained:
        """Stop taking new work, then let work already taken finish until ``deadline`` (a time.monotonic()).

        In order: ``/health/ready`` and new Slack requests over HTTP answer 503; every ``stop_intake`` hook runs;
        no execution is claimed any more (the claim loop stops; approved requests are left to the other
        replicas); listeners already acked finish; executions running finish their steps. At the deadline,
        executions still running are handed over: their leases are dropped and they stop before their next
        write, so another replica resumes them at once. Then queued Slack messages are delivered while time is
        left. Returns what was still running at the deadline (the caller exits either way).
        """
        started = time.monotonic()
        self.readiness.drain()
        for stop in self.stop_intake:
            stop()
        self.deps.local.stop_claiming()
        scheduler = self._stop_scheduler()
        listeners = self.listeners.wait_idle(deadline)
        executions = self.pool.wait_idle(deadline)
        handed = tuple(hand_over(self.deps)) if executions else ()
        if executions and not handed:  # they finished here between the deadline and the hand-over
            executions = self.pool.wait_idle(time.monotonic() + 1.0)
        for request_id in handed:
            log.warning("request #%s handed over: another replica resumes it", request_id)
        undelivered = self.notifier.flush(deadline) if self.notifier is not None else 0
        if scheduler is not None:
            scheduler.join(max(0.0, deadline - time.monotonic()))
        return Drained(
            seconds=round(time.monotonic() - started, 2),
            listeners=listeners,
            executions=executions,
            scheduled=scheduler is not None and scheduler.is_alive(),
            handed_over=handed,
            undelivered=undelivered,
        )

    def _stop_scheduler(self) -> threading.Thread | None:
        """Stop firing now; a thread that returns once the jobs already running are done."""
        if self.scheduler is None or not self.scheduler.running:
            return None
        stopping = threading.Thread(
            target=self.scheduler.shutdown, kwargs={"wait": True}, name="scheduler-stop", daemon=True
        )
        stopping.start()
        return stopping

    def close(self) -> None:
        """Stop background work (letting in-flight listeners and executions finish) and release the database."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.listeners.shutdown(wait=True)
        self.pool.shutdown(wait=True)
        if self.notifier is not None:
            self.notifier.flush(time.monotonic() + 5.0)
            self.notifier.close()
        self.readiness.close()
        self.environments.close()
        self.engine.dispose()
