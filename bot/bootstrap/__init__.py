"""The composition root: the only place that names concrete adapters and reads settings."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler

import handlers
from bot.adapters.azure.snapshot import read_snapshot
from bot.adapters.card_queue import DeliveryPolicy, QueuedNotifier
from bot.adapters.db.deliveries import SqlDeliveryLog
from bot.adapters.db.deploys import SqlDeployRuns, SqlFreezeStore
from bot.adapters.db.engine import DatabaseHealth, make_engine, make_session_factory
from bot.adapters.db.records import SqlChecklistLog, SqlDrillLog
from bot.adapters.db.releases import SqlReleaseLog
from bot.adapters.db.repository import SqlAuditLog, SqlRequestRepository
from bot.adapters.db.slots import SqlTargetSlots
from bot.adapters.db.watches import SqlWatchStore
from bot.adapters.http_health import RequestsHealthProbe
from bot.adapters.metrics import PrometheusMetrics
from bot.adapters.slack_auth import SlackAuthCheck
from bot.adapters.slack_directory import WebClientDirectory
from bot.adapters.slack_errors import SlackErrorCounter, describe_slack_failure
from bot.adapters.slack_notifier import SlackNotifier
from bot.bootstrap.database import prepare_database
from bot.bootstrap.environments import Environments, deploy_policy, warn_about_prompt_guards
from bot.bootstrap.runtime import Runtime as Runtime  # re-exported: callers build and hold it from here
from bot.config import AppConfig, Settings, config_warnings
from bot.domain.catalog import (
    Catalog,
    ChecklistPolicy,
    DriftPolicy,
    EnvironmentPolicy,
    VerifyPolicy,
    named_like_production,
)
from bot.domain.leases import LeasePolicy
from bot.domain.rollback_requests import ServiceEnv
from bot.errors import ConfigError
from bot.kinds import KindServices
from bot.kinds.builtin import BUILTIN
from bot.kinds.edge import KindRegistry
from bot.lifecycle import Lanes, PoolGroup, Readiness, WorkPool, periodically
from bot.ports.health import HealthProbe
from bot.services import Deps
from bot.services.home import BoardCache
from bot.web import WebApp

log = logging.getLogger("rollback_bot")

NOT_CONFIGURED_HINT = (
    "No Slack workspace is connected. Set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP mode) or "
    "SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Socket Mode); create the app from manifest.yml (see README)."
)


SOCKET_MODE_ONLY_HINT = (
    "This bot receives Slack requests over Socket Mode (SLACK_APP_TOKEN). Set SLACK_SIGNING_SECRET as well to "
    "accept signed requests here."
)


def utcnow() -> datetime:
    """The real clock, in UTC."""
    return datetime.now(UTC)


def load_app_config(settings: Settings, registry: KindRegistry = BUILTIN) -> AppConfig:
    """The configuration file; a missing default file means 'nothing configured yet', a missing explicit one fails."""
    if not settings.config_path_explicit and not Path(settings.config_path).exists():
        log.warning("no configuration file at %s: starting with no services configured", settings.config_path)
        return registry.schema()
    config = registry.load_config(settings.config_path)
    for warning in config_warnings(config):
        log.warning("%s: %s", settings.config_path, warning)
    return config


def build_catalog(config: AppConfig, registry: KindRegistry = BUILTIN) -> Catalog:
    """Turn the configuration into the pure values the core works with."""
    policies = []
    for service in config.services:
        for env in service.environments:
            kinds = [p.kind.name for p in registry.plugins if env.block(p.key) is not None]
            policies.append(
                EnvironmentPolicy(
                    target=ServiceEnv(service.name, env.name),
                    incident_channels=env.incident_channels,
                    approver_usergroup=env.approvers.usergroup,
                    approver_users=env.approvers.users,
                    approval_ttl_minutes=env.approval_ttl_minutes,
                    kinds=tuple(kinds),
                    checklist=ChecklistPolicy(
                        schedule=env.checklist.schedule,
                        timezone=env.checklist.timezone,
                        channel=env.checklist.channel,
                        drill_max_age_days=env.checklist.drill_max_age_days,
                        backup_max_age_hours=env.checklist.backup_max_age_hours,
                        telemetry_window_hours=env.telemetry.window_hours if env.telemetry else 24,
                    ),
                    drills_require_approval=env.drills_require_approval,
                    verify=VerifyPolicy(window_minutes=env.verify.window_minutes, min_calls=env.verify.min_calls),
                    production=env.production if env.production is not None else named_like_production(env.name),
                    drills_in_prod=env.drills_in_prod,
                    drift=DriftPolicy(env.drift.interval_minutes, env.drift.channel),
                    deploy=deploy_policy(env),
                )
            )
    return Catalog(tuple(policies))


def standalone_environments(
    config: AppConfig,
    registry: KindRegistry = BUILTIN,
    *,
    clock: Callable[[], datetime] = utcnow,
    azure_client_kwargs: Mapping[str, Any] | None = None,
) -> Environments:
    """Environments bound without the rest of the bot (``inspect``): no database, no Slack, no DDL."""
    probe = RequestsHealthProbe(ca_bundle=config.azure.ca_bundle)
    services = KindServices(clock=clock, probe=probe)
    return Environments(config, registry, services=services, clock=clock, azure_client_kwargs=azure_client_kwargs)


def build_slack_client(
    settings: Settings, *, timeout: int = 10, retries: bool = True, metrics: PrometheusMetrics | None = None
) -> WebClient:
    """A Web API client honouring SLACK_API_URL, retrying connection errors and 429s (bounded) unless told not to;
    with ``metrics``, every failed call is counted by class (``rollback_bot_slack_errors_total``)."""
    handlers: list[RetryHandler] = [SlackErrorCounter(partial(metrics.count, "slack_errors"))] if metrics else []
    if retries:
        handlers += [ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=2)]
    return WebClient(
        token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=timeout, retry_handlers=handlers
    )


def build_runtime(
    settings: Settings,
    config: AppConfig,
    *,
    clock: Callable[[], datetime] = utcnow,
    migrate_db: bool = True,
    check_db: bool = True,
    azure_client_kwargs: Mapping[str, Any] | None = None,
    health_probe: HealthProbe | None = None,
    slack_app: bool = True,
    registry: KindRegistry = BUILTIN,
    leases: LeasePolicy | None = None,
    delivery: DeliveryPolicy | None = None,
) -> Runtime:
    """Build the database, the dependencies, the Bolt app (when Slack is configured) and the WSGI app.

    ``migrate_db`` migrates the bot's database first (``prepare_database``); without it, ``check_db``
    still refuses a database that is not at this bot's schema. With both off the database is not touched.
    ``leases`` (default: ``settings.lease_seconds``) and ``delivery`` (Slack retries) are for tests and tools.
    """
    engine = make_engine(settings.database_url)
    if migrate_db or check_db:
        try:
            prepare_database(engine, migrate_db=migrate_db)
        except BaseException:
            engine.dispose()
            raise
    sessions = make_session_factory(engine)
    catalog = build_catalog(config, registry)
    metrics = PrometheusMetrics(targets=[policy.target for policy in catalog.environments])
    client = build_slack_client(settings, metrics=metrics)
    pool = WorkPool(max_workers=4, thread_name_prefix="rollback-exec")
    # Bolt's listeners only ack and hand the rest to a lane (Azure, the database, Slack calls): an ack never
    # waits behind slow work, and each lane is bounded.
    listeners = WorkPool(max_workers=16, thread_name_prefix="bolt-listener")
    lanes = Lanes.default()
    probe = health_probe or RequestsHealthProbe(ca_bundle=config.azure.ca_bundle)
    releases = SqlReleaseLog(sessions)
    environments = Environments(
        config,
        registry,
        services=KindServices(clock=clock, probe=probe),
        clock=clock,
        azure_client_kwargs=azure_client_kwargs,
        releases=releases,
        metrics=metrics,
    )
    warn_about_prompt_guards(config)
    requests = SqlRequestRepository(sessions, clock)
    metrics.watch_in_flight(requests)
    notifier = QueuedNotifier(
        SlackNotifier(build_slack_client(settings, retries=False, metrics=metrics)),  # the queue retries
        metrics,
        poster=SlackNotifier(client),
        current_version=lambda request_id: requests.get(request_id).version,
        policy=delivery,
    )
    deps = Deps(
        catalog=catalog,
        kinds=registry.kinds,
        requests=requests,
        audit=SqlAuditLog(sessions),
        health=DatabaseHealth(engine),
        directory=WebClientDirectory(client),
        metrics=metrics,
        clock=clock,
        environment=environments,
        notifier=notifier,
        run_in_background=lambda job: _submit(pool, job),
        drills=SqlDrillLog(sessions),
        checklists=SqlChecklistLog(sessions, clock),
        releases=releases,
        replica_id=f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}",  # one per runtime
        read_snapshot=read_snapshot,
        watches=SqlWatchStore(sessions, clock),
        deliveries=SqlDeliveryLog(sessions),
        leases=leases or LeasePolicy(seconds=settings.lease_seconds),
        keep_alive=periodically,
        slots=SqlTargetSlots(sessions),
        freezes=SqlFreezeStore(sessions),
        deploy_runs=SqlDeployRuns(sessions),
        deploy_messages=notifier,
        probe=probe,
        slack_failure=describe_slack_failure,
    )
    bolt = build_bolt_app(settings, client, deps, listeners, lanes) if slack_app and settings.slack_configured else None
    http_slack = bolt is not None and settings.slack_signing_secret is not None
    slack_auth = (
        SlackAuthCheck(build_slack_client(settings, timeout=3, retries=False, metrics=metrics))
        if bolt is not None
        else None
    )
    readiness = build_readiness(deps, slack_auth, environments)
    web = WebApp(
        slack=SlackRequestHandler(bolt) if http_slack and bolt is not None else None,
        readiness=readiness,
        metrics=lambda: (metrics.render(), metrics.content_type),
        not_configured_hint=SOCKET_MODE_ONLY_HINT if bolt is not None else NOT_CONFIGURED_HINT,
        signing_secret=settings.slack_signing_secret,
    )
    return Runtime(
        engine=engine,
        deps=deps,
        metrics=metrics,
        bolt=bolt,
        web=web,
        pool=pool,
        listeners=PoolGroup((listeners, *lanes.pools())),  # drained in this order: work moves from one to the next
        environments=environments,
        readiness=readiness,
        slack_auth=slack_auth,
        registry=registry,
        notifier=notifier,
    )


def build_readiness(
    deps: Deps, slack_auth: Callable[[], None] | None, environments: Environments | None = None
) -> Readiness:
    """``/health/ready``: what stops the bot from working decides it: the database, and a token Slack refuses.
    Slack's reachability (auth.test; a success holds 30 s) and each environment's degradation are reported in
    the body without failing it: an unready replica would not bring Slack or Azure back, rollbacks keep working
    through a Slack outage, and the other environments keep working."""
    readiness = Readiness()
    readiness.add("database", deps.health.ping)
    if slack_auth is not None:
        readiness.add("slack", slack_auth, required=False, required_on=(ConfigError,), timeout=4.0, ok_for=30.0)
    if environments is not None:
        readiness.detail("environments", partial(environment_health, environments))
    return readiness


def environment_health(environments: Environments) -> dict[str, str]:
    """``service/environment`` → ``ok``, or ``degraded: <kind>: <reason>; …`` (its other kinds work)."""
    health: dict[str, str] = {}
    for target, problems in environments.problems().items():
        said = "; ".join(f"{kind}: {why}" for kind, why in sorted(problems.items()))
        health[str(target)] = f"degraded: {said}" if problems else "ok"
    return health


def _submit(pool: WorkPool, job: Callable[[], object]) -> None:
    """Run ``job`` on the pool; its errors are logged (the job itself records outcomes)."""

    def run() -> None:
        try:
            job()
        except Exception:
            log.exception("background job failed")

    try:
        pool.submit(run)
    except RuntimeError:  # shut down: an execution is claimed by another replica (or this one, restarted)
        log.warning("background job not started: this replica is shutting down")


def build_bolt_app(settings: Settings, client: WebClient, deps: Deps, listeners: WorkPool, lanes: Lanes) -> App:
    """The Bolt app: signatures verified, listeners registered, nothing done at import."""
    app = App(
        client=client,
        # Socket Mode needs no signing secret; a random one makes any HTTP request unforgeable.
        signing_secret=settings.slack_signing_secret or secrets.token_hex(32),
        process_before_response=False,
        raise_error_for_unhandled_request=False,
        # auth.test at construction would make a Slack outage at start a crash; Bolt makes the call on the
        # first request instead, and the start-up and /health/ready check the token themselves.
        token_verification_enabled=False,
        listener_executor=listeners,  # ours, so shutdown can wait for work already acked
    )
    handlers.register(app, deps, lanes, BoardCache())
    return app
