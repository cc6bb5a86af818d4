"""What is configured, as pure values the core can use (built from the config file by the composition root)."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from bot.domain.deploy import DeployPolicy
from bot.domain.kinds import KindName
from bot.domain.rollback_requests import ServiceEnv
from bot.errors import UsageError

_PRODUCTION_NAME = re.compile(r"^(prod|production|prd)([-_.].*)?$")


def named_like_production(environment: str) -> bool:
    """True for ``prod``, ``production`` and ``prd``, alone or followed by ``-``/``_``/``.`` and more (``prod-eu``)."""
    return bool(_PRODUCTION_NAME.match(environment))


@dataclass(frozen=True)
class ChecklistPolicy:
    """When and where the checklist is posted, and its thresholds."""

    schedule: str | None = None
    timezone: str = "UTC"
    channel: str | None = None
    drill_max_age_days: int = 30
    backup_max_age_hours: int = 24
    telemetry_window_hours: int = 24


@dataclass(frozen=True)
class VerifyPolicy:
    """Proof after rollback: how long the LLM signals are watched, and how many calls a verdict needs."""

    window_minutes: int = 10
    min_calls: int = 20


@dataclass(frozen=True)
class DriftPolicy:
    """How often live state is compared with the newest release, and where new drift is posted."""

    interval_minutes: int = 15  # 0: never on a schedule (``rollback-bot drift`` still works)
    channel: str | None = None  # default: the environment's deploy channel


@dataclass(frozen=True)
class EnvironmentPolicy:
    """Rules for one service/environment: where `/rollback` may be used, who approves, what is configured."""

    target: ServiceEnv
    incident_channels: tuple[str, ...]
    approver_usergroup: str | None
    approver_users: tuple[str, ...]
    approval_ttl_minutes: int
    kinds: tuple[KindName, ...]
    checklist: ChecklistPolicy = field(default_factory=ChecklistPolicy)
    drills_require_approval: bool = True
    verify: VerifyPolicy = field(default_factory=VerifyPolicy)
    # A production environment (configured, else by its name): its drills need approval unless allowed.
    production: bool = False
    drills_in_prod: bool = False

    @property
    def drills_need_approval(self) -> bool:
        """Drills follow the two-person rule unless ``drills_require_approval: false`` (and, in a production
        environment, ``drills_in_prod: true`` too)."""
        return self.drills_require_approval or (self.production and not self.drills_in_prod)

    drift: DriftPolicy = field(default_factory=DriftPolicy)
    deploy: DeployPolicy = field(default_factory=DeployPolicy)

    @property
    def deploy_channel(self) -> str | None:
        """Where deploys report: ``deploy.channel``, else ``checklist.channel``."""
        return self.deploy.channel or self.checklist.channel

    @property
    def drift_channel(self) -> str | None:
        """Where drift is posted: ``drift.channel``, else the deploy channel (``deploy.channel``, then
        ``checklist.channel``)."""
        return self.drift.channel or self.deploy_channel

    @property
    def incident_channel(self) -> str | None:
        """The first incident channel given by id (a button that opens `/rollback` needs one)."""
        return next((c for c in self.incident_channels if not c.startswith("#")), None)

    @property
    def channel_patterns_used(self) -> bool:
        """True when some incident channel is given as a '#name' pattern (needs the channel's name)."""
        return any(c.startswith("#") for c in self.incident_channels)

    def channel_allowed(self, channel_id: str, channel_name: str | None) -> bool:
        """True when the channel is an incident channel by id, or by '#pattern' on its name."""
        for item in self.incident_channels:
            if item == channel_id:
                return True
            if item.startswith("#") and channel_name and fnmatch.fnmatchcase(channel_name, item[1:]):
                return True
        return False


@dataclass(frozen=True)
class Catalog:
    """Every configured service/environment."""

    environments: tuple[EnvironmentPolicy, ...]

    def services(self) -> list[str]:
        """Configured service names, in configuration order."""
        return list(dict.fromkeys(p.target.service for p in self.environments))

    def environments_of(self, service: str) -> list[EnvironmentPolicy]:
        """The environments of ``service``."""
        return [p for p in self.environments if p.target.service == service]

    def resolve(self, service: str | None, environment: str | None) -> EnvironmentPolicy:
        """Find a service/environment; the environment may be omitted when it is unambiguous or 'prod'."""
        if not self.environments:
            raise UsageError("No services are configured yet; add them to the configuration file.")
        if service is None:
            raise UsageError(f"Name a service: {', '.join(self.services())}.")
        envs = self.environments_of(service)
        if not envs:
            raise UsageError(f"Unknown service “{service}”; configured: {', '.join(self.services())}.")
        names = [p.target.environment for p in envs]
        if environment is None:
            if len(envs) == 1:
                return envs[0]
            if "prod" in names:
                return envs[names.index("prod")]
            raise UsageError(f"Name an environment of {service}: {', '.join(names)}.")
        if environment not in names:
            raise UsageError(f"Unknown environment “{environment}” for {service}; configured: {', '.join(names)}.")
        return envs[names.index(environment)]

    def configures(self, target: ServiceEnv) -> bool:
        """True when ``target`` is a configured service/environment (a request may outlive its configuration)."""
        return any(p.target == target for p in self.environments)

    def allowed_here(self, channel_id: str, channel_name: str | None) -> list[EnvironmentPolicy]:
        """The environments whose incident channels include this channel."""
        return [p for p in self.environments if p.channel_allowed(channel_id, channel_name)]

    @property
    def needs_channel_names(self) -> bool:
        """True when any environment names incident channels by '#pattern'."""
        return any(p.channel_patterns_used for p in self.environments)
