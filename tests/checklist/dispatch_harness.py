"""The bot's services over a real database (SQLite or PostgreSQL) with in-memory fakes at the Slack edge.

Enough for the scheduled checklist: environments with nothing to check (each check answers quickly),
a notifier that records posts and can be told to fail, the real metrics, a hand-moved clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine

from bot.adapters.db.engine import DatabaseHealth, make_engine, make_session_factory
from bot.adapters.db.migrate import upgrade
from bot.adapters.db.records import SqlChecklistLog, SqlDrillLog
from bot.adapters.db.releases import SqlReleaseLog
from bot.adapters.db.repository import SqlAuditLog, SqlRequestRepository
from bot.adapters.metrics import PrometheusMetrics
from bot.domain.catalog import Catalog, ChecklistPolicy, EnvironmentPolicy
from bot.domain.people import SlackChannelInfo, SlackUserInfo
from bot.domain.plan import Plan, StepResult
from bot.domain.readiness import ChecklistReport
from bot.domain.recovery import CardProof, Evidence
from bot.domain.releases import DriftReport, ItemDiff
from bot.domain.rollback_requests import RollbackRequest, ServiceEnv
from bot.domain.tree import FlowState
from bot.errors import SlackApiError
from bot.kinds import BoundEnvironment, Kinds
from bot.ports.notify import Notifier, PostedMessage
from bot.ports.slack import SlackDirectory
from bot.scheduler.cron import fire_time_of
from bot.services import Deps
from bot.services.schedule import LatestFire, SchedulePolicy
from bot.text import Mention, Text
from tests.conftest import FrozenClock


@dataclass
class Post:
    channel: str
    target: ServiceEnv
    at: float  # time.monotonic() when it was posted


@dataclass
class RecordingNotifier(Notifier):
    """Records checklist posts; ``failures`` makes the next N posts fail as Slack would; ``delay`` slows each."""

    posts: list[Post] = field(default_factory=list)
    failures: int = 0
    delay: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def post_checklist(self, channel: str, report: ChecklistReport) -> str:
        time.sleep(self.delay)
        with self._lock:
            if self.failures:
                self.failures -= 1
                raise SlackApiError("Slack answered ratelimited")
            self.posts.append(Post(channel, report.target, time.monotonic()))
            return f"{len(self.posts)}.000"

    def post_card(self, request: RollbackRequest, plan: Plan[Any], *, approvers: Sequence[Mention]) -> str:
        raise NotImplementedError

    def update_card(
        self,
        request: RollbackRequest,
        plan: Plan[Any],
        *,
        steps: Sequence[StepResult] = (),
        note: Text | str = "",
        proof: CardProof | None = None,
    ) -> None:
        raise NotImplementedError

    def post_thread(self, request: RollbackRequest, text: Text | str, *, lines: Sequence[str] = ()) -> None:
        raise NotImplementedError

    def post_proof(self, request: RollbackRequest, evidence: Evidence | None, problem: str | None) -> PostedMessage:
        raise NotImplementedError

    def post_drift(
        self, channel: str, report: DriftReport, diffs: Sequence[ItemDiff], *, rollback: FlowState | None
    ) -> str:
        raise NotImplementedError


class NoDirectory(SlackDirectory):
    def workspace_id(self) -> str | None:
        return None

    def channel(self, channel_id: str) -> SlackChannelInfo | None:
        return None

    def user(self, user_id: str) -> SlackUserInfo | None:
        return None

    def usergroup_members(self, usergroup_id: str) -> frozenset[str]:
        return frozenset()


def targets(count: int) -> list[ServiceEnv]:
    return [ServiceEnv(f"svc{i:03d}", "prod") for i in range(count)]


def catalog(channels: dict[ServiceEnv, str]) -> Catalog:
    return Catalog(
        tuple(
            EnvironmentPolicy(target, ("C0INC",), None, (), 15, (), checklist=ChecklistPolicy(channel=channel))
            for target, channel in channels.items()
        )
    )


@dataclass
class Replica:
    """One replica's services on the shared database."""

    deps: Deps
    notifier: RecordingNotifier
    metrics: PrometheusMetrics
    engine: Engine

    def close(self) -> None:
        self.engine.dispose()


def replica(
    db_url: str,
    channels: dict[ServiceEnv, str],
    clock: FrozenClock,
    *,
    name: str,
    notifier: RecordingNotifier | None = None,
) -> Replica:
    """A replica called ``name`` (its replica id) on ``db_url``, migrated; ``notifier`` may be shared."""
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    notifier = notifier or RecordingNotifier()
    metrics = PrometheusMetrics(targets=channels)
    deps = Deps(
        catalog=catalog(channels),
        kinds=Kinds([]),
        requests=SqlRequestRepository(sessions, clock),
        audit=SqlAuditLog(sessions),
        health=DatabaseHealth(engine),
        directory=NoDirectory(),
        metrics=metrics,
        clock=clock,
        environment=BoundEnvironment,  # nothing configured: every check answers at once
        notifier=notifier,
        run_in_background=lambda job: None,
        drills=SqlDrillLog(sessions),
        checklists=SqlChecklistLog(sessions, clock),
        releases=SqlReleaseLog(sessions),
        replica_id=name,
    )
    return Replica(deps, notifier, metrics, engine)


def daily(hour: int, minute: int, tz: str = "UTC") -> CronTrigger:
    """A schedule that fires every day at hour:minute in ``tz``."""
    return CronTrigger(hour=hour, minute=minute, timezone=ZoneInfo(tz))


def schedules(triggers: dict[ServiceEnv, CronTrigger], policy: SchedulePolicy) -> dict[ServiceEnv, LatestFire]:
    """What the scheduler gives the dispatcher: each target's latest fire time within the catch-up window."""
    return {t: partial(fire_time_of, trigger, lookback=policy.catch_up) for t, trigger in triggers.items()}


def lookbacks(triggers: dict[ServiceEnv, CronTrigger], policy: SchedulePolicy) -> dict[ServiceEnv, LatestFire]:
    """What the scheduler gives the dispatcher to notice missed fire times: the latest within ``max_retry_age``."""
    return {t: partial(fire_time_of, trigger, lookback=policy.max_retry_age) for t, trigger in triggers.items()}
