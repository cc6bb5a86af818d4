"""The configuration file's schema: pydantic models, strict (unknown keys are errors); kinds add their blocks."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    create_model,
    field_validator,
    model_validator,
)

from bot.config.deploy_model import DeployConfig
from bot.config.secrets import NonEmptySecret

_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
_NAME = r"^[a-z0-9][a-z0-9_.-]{0,62}$"

Name = Annotated[str, Field(pattern=_NAME)]
NonEmpty = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigBlock(_Model):
    """A kind's block in an environment (``container_app:``, ``prompts:`` …): strict, frozen."""

    def endpoints(self) -> tuple[str, ...]:
        """URLs the bot calls for this block besides ARM (checked when ``credential: emulator``)."""
        return ()


class AzureConfig(_Model):
    """How to reach Azure: cloud, optional endpoint override, CA bundle and credential kind."""

    cloud: Literal["public", "china", "usgov"] = "public"
    arm_endpoint: str | None = None
    ca_bundle: str | None = None
    credential: Literal["default", "emulator"] = "default"


class ApproversConfig(_Model):
    """Who may approve: members of a Slack user group and/or listed user ids."""

    usergroup: str | None = Field(default=None, pattern=r"^S[A-Z0-9]+$")
    users: tuple[Annotated[str, Field(pattern=r"^[UW][A-Z0-9]+$")], ...] = ()


_SQL_PROMPT_VERSIONS = (
    "SELECT count(*) AS total, count(prompt_version) AS with_version FROM llm_calls WHERE created_at >= :since"
)
_GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
Query = Annotated[str, Field(min_length=10)]


class TelemetryQueries(_Model):
    """The named queries (each optional); what each must return is in docs/telemetry.md."""

    prompt_versions: Query | None = None
    by_revision: Query | None = None
    by_prompt_version: Query | None = None
    by_model: Query | None = None

    def named(self) -> dict[str, str]:
        """The configured queries by name."""
        return {name: query for name, query in self.model_dump().items() if query is not None}


class SqlTelemetryConfig(_Model):
    """The application's LLM call log in a SQL database.

    ``query`` is the ``prompt_versions`` query (one row with ``total`` and ``with_version`` or
    ``with_prompt_version``); the other named queries go under ``queries``. Queries may use the bound
    parameters ``:since``, ``:until`` and ``:revision``.
    """

    kind: Literal["sql"] = "sql"
    database_url: NonEmptySecret
    query: str = Field(default=_SQL_PROMPT_VERSIONS, min_length=10)
    queries: TelemetryQueries = TelemetryQueries()
    window_hours: int = Field(default=24, ge=1, le=24 * 31)

    @model_validator(mode="after")
    def _prompt_versions_once(self) -> SqlTelemetryConfig:
        if "query" in self.model_fields_set and self.queries.prompt_versions is not None:
            raise ValueError("give the prompt_versions query once: as query or as queries.prompt_versions")
        return self

    def named_queries(self) -> dict[str, str]:
        """Every named query, ``query`` as ``prompt_versions``."""
        return {"prompt_versions": self.query, **self.queries.named()}


class LogAnalyticsTelemetryConfig(_Model):
    """A Log Analytics workspace (Application Insights) read with KQL through azure-monitor-query.

    ``endpoint`` overrides the cloud's Log Analytics endpoint (e.g. a local emulator); ``azure.ca_bundle``
    applies to it. Queries may use ``{window}`` and ``{revision}``; the window is sent as the timespan.
    """

    kind: Literal["log_analytics"]
    workspace_id: str = Field(pattern=_GUID)
    endpoint: str | None = Field(default=None, pattern=r"^https://")
    queries: TelemetryQueries
    window_hours: int = Field(default=24, ge=1, le=24 * 31)

    @model_validator(mode="after")
    def _some_query(self) -> LogAnalyticsTelemetryConfig:
        if not self.queries.named():
            raise ValueError(
                "queries: configure at least one of prompt_versions, by_revision, by_prompt_version, by_model"
            )
        return self

    def named_queries(self) -> dict[str, str]:
        """Every named query."""
        return self.queries.named()


def _telemetry_kind(value: Any) -> str:
    """``kind`` of a telemetry block; without one it is the SQL call log (as before ``kind`` existed)."""
    kind = value.get("kind", "sql") if isinstance(value, dict) else getattr(value, "kind", "sql")
    return str(kind)


TelemetryConfig = Annotated[
    Annotated[SqlTelemetryConfig, Tag("sql")] | Annotated[LogAnalyticsTelemetryConfig, Tag("log_analytics")],
    Discriminator(
        _telemetry_kind,
        custom_error_type="telemetry_kind",
        custom_error_message="kind must be sql or log_analytics",
    ),
]


class VerifyConfig(_Model):
    """Proof after a rollback: how long the LLM signals are watched, and how many calls a verdict needs."""

    window_minutes: int = Field(default=10, ge=1, le=24 * 60)
    min_calls: int = Field(default=20, ge=1)


class ChecklistConfig(_Model):
    """When and where the pre-deploy checklist is posted, and its thresholds."""

    schedule: str | None = None
    timezone: str = "UTC"
    channel: str | None = Field(default=None, pattern=r"^[CG][A-Z0-9]{2,}$")
    drill_max_age_days: int = Field(default=30, ge=1)
    backup_max_age_hours: int = Field(default=24, ge=1)

    @field_validator("schedule")
    @classmethod
    def _cron_is_valid(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if len(value.split()) != 5:
            raise ValueError("must be a 5-field cron expression, e.g. '0 8 * * 1-5'")
        try:
            CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"not a valid cron expression: {exc}") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r} (use an IANA name such as Europe/Berlin)") from None
        return value


class DriftConfig(_Model):
    """How often live state is compared with the newest release (0: never on a schedule), and where drift goes."""

    interval_minutes: int = Field(default=15, ge=0, le=24 * 60)
    channel: str | None = Field(default=None, pattern=r"^[CG][A-Z0-9]{2,}$")


class EnvironmentConfig(_Model):
    """One environment (prod, staging, …) of a service; each kind adds its optional block (``schema_with``)."""

    name: Name
    incident_channels: tuple[NonEmpty, ...] = ()
    approvers: ApproversConfig = ApproversConfig()
    approval_ttl_minutes: int = Field(default=15, ge=1, le=24 * 60)
    drills_require_approval: bool = True
    # A production environment: set, else inferred from the name (prod, production, prd, prod-eu …).
    production: bool | None = None
    drills_in_prod: bool = False
    telemetry: TelemetryConfig | None = None
    verify: VerifyConfig = VerifyConfig()
    checklist: ChecklistConfig = ChecklistConfig()
    drift: DriftConfig = DriftConfig()
    deploy: DeployConfig = DeployConfig()

    @field_validator("incident_channels")
    @classmethod
    def _channel_ids_or_patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if not (_CHANNEL_ID.match(item) or item.startswith("#")):
                raise ValueError(f"{item!r} is neither a channel id (C…/G…) nor a '#name' pattern")
        return value

    def block(self, key: str) -> ConfigBlock | None:
        """The kind block configured under ``key`` (None when absent, or not a kind block)."""
        value = getattr(self, key, None) if key not in EnvironmentConfig.model_fields else None
        return value if isinstance(value, ConfigBlock) else None

    def blocks(self) -> dict[str, ConfigBlock]:
        """Every configured kind block, by key, in schema order."""
        found = {key: self.block(key) for key in type(self).model_fields}
        return {key: block for key, block in found.items() if block is not None}


class ServiceConfig(_Model):
    """A service and its environments."""

    name: Name
    environments: tuple[EnvironmentConfig, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_environments(self) -> ServiceConfig:
        _ensure_unique([e.name for e in self.environments], "environment")
        return self


class AppConfig(_Model):
    """The whole configuration file."""

    azure: AzureConfig = AzureConfig()
    services: tuple[ServiceConfig, ...] = ()

    @model_validator(mode="after")
    def _unique_services(self) -> AppConfig:
        _ensure_unique([s.name for s in self.services], "service")
        return self

    @model_validator(mode="after")
    def _emulator_only_on_loopback(self) -> AppConfig:
        if self.azure.credential != "emulator":
            return self
        endpoints = [self.azure.arm_endpoint or "https://management.azure.com"]
        endpoints += [
            url for s in self.services for e in s.environments for b in e.blocks().values() for url in b.endpoints()
        ]
        endpoints += [
            e.telemetry.endpoint or "the cloud's Log Analytics endpoint (telemetry.endpoint)"
            for s in self.services
            for e in s.environments
            if isinstance(e.telemetry, LogAnalyticsTelemetryConfig)
        ]
        remote = list(dict.fromkeys(url for url in endpoints if not is_loopback(url)))
        if remote:
            raise ValueError(
                "azure.credential: 'emulator' (a static token) is allowed only when every Azure endpoint is "
                f"loopback (127.0.0.0/8, ::1, localhost); not loopback: {', '.join(remote)}"
            )
        return self

    def service(self, name: str) -> ServiceConfig | None:
        """The service called ``name``, if configured."""
        return next((s for s in self.services if s.name == name), None)

    def environment(self, service: str, env: str) -> EnvironmentConfig | None:
        """The environment ``env`` of ``service``, if configured."""
        svc = self.service(service)
        return next((e for e in svc.environments if e.name == env), None) if svc else None


def schema_with(blocks: Mapping[str, type[ConfigBlock]]) -> type[AppConfig]:
    """The configuration schema with each kind's block as an optional environment key (unknown keys stay errors)."""
    clash = sorted(set(blocks) & set(EnvironmentConfig.model_fields))
    if clash:
        raise ValueError(f"kind block {clash[0]!r} would replace an environment setting")
    fields: dict[str, Any] = {key: (model | None, None) for key, model in blocks.items()}
    environment = create_model("EnvironmentConfig", __base__=EnvironmentConfig, **fields)
    service = create_model(
        "ServiceConfig",
        __base__=ServiceConfig,
        environments=(tuple[environment, ...], Field(min_length=1)),  # type: ignore[valid-type]
    )
    return create_model("AppConfig", __base__=AppConfig, services=(tuple[service, ...], ()))  # type: ignore[valid-type]


def is_loopback(url: str) -> bool:
    """True when the URL's host is localhost, 127.0.0.0/8 or ::1."""
    host = (urlparse(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ensure_unique(names: list[str], what: str) -> None:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"duplicate {what} name(s): {', '.join(dupes)}")
