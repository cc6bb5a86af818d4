"""The configuration file's schema (SPEC §7): pydantic models, strict (unknown keys are errors)."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
_NAME = r"^[a-z0-9][a-z0-9_.-]{0,62}$"

Name = Annotated[str, Field(pattern=_NAME)]
NonEmpty = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class ContainerAppConfig(_Model):
    """An Azure Container App whose revisions carry the service's code."""

    subscription_id: NonEmpty
    resource_group: NonEmpty
    name: NonEmpty
    health_path: str = Field(default="/health/ready", pattern=r"^/")
    # Where a revision's health endpoint is reached; {fqdn}, {revision}, {app} and {path} are filled in.
    health_url: str = Field(default="https://{fqdn}{path}", pattern=r"^https?://")


class OpenAIConfig(_Model):
    """An Azure OpenAI account and the deployments whose model versions the bot pins."""

    subscription_id: NonEmpty
    resource_group: NonEmpty
    account: NonEmpty
    deployments: tuple[NonEmpty, ...] = Field(min_length=1)
    # The account's region (e.g. eastus): the checklist then also checks that the previous model version is
    # still offered there, not only in the account's catalog.
    location: str | None = Field(default=None, pattern=r"^[a-z0-9]+$")


class PromptsConfig(_Model):
    """The database that holds the versioned system prompts."""

    database_url: NonEmpty
    table: str = Field(default="system_prompts", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class SearchConfig(_Model):
    """An Azure AI Search service and the alias the application queries."""

    endpoint: str = Field(pattern=r"^https://")
    alias: NonEmpty
    api_key: str | None = None


class PostgresConfig(_Model):
    """The application's Azure Database for PostgreSQL flexible server."""

    subscription_id: NonEmpty
    resource_group: NonEmpty
    server: NonEmpty


class TelemetryConfig(_Model):
    """The application's LLM call log, for 'prompt version logged' (checklist item 3).

    ``query`` must return one row with the columns ``total`` and ``with_version`` and may use the bound
    parameter ``:since`` (the start of the window).
    """

    database_url: NonEmpty
    query: str = Field(
        default=(
            "SELECT count(*) AS total, count(prompt_version) AS with_version FROM llm_calls WHERE created_at >= :since"
        ),
        min_length=10,
    )
    window_hours: int = Field(default=24, ge=1, le=24 * 31)


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


class EnvironmentConfig(_Model):
    """One environment (prod, staging, …) of a service and its optional components."""

    name: Name
    incident_channels: tuple[NonEmpty, ...] = ()
    approvers: ApproversConfig = ApproversConfig()
    approval_ttl_minutes: int = Field(default=15, ge=1, le=24 * 60)
    drills_require_approval: bool = True
    container_app: ContainerAppConfig | None = None
    openai: OpenAIConfig | None = None
    prompts: PromptsConfig | None = None
    search: SearchConfig | None = None
    postgres: PostgresConfig | None = None
    telemetry: TelemetryConfig | None = None
    checklist: ChecklistConfig = ChecklistConfig()

    @field_validator("incident_channels")
    @classmethod
    def _channel_ids_or_patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if not (_CHANNEL_ID.match(item) or item.startswith("#")):
                raise ValueError(f"{item!r} is neither a channel id (C…/G…) nor a '#name' pattern")
        return value


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

    def service(self, name: str) -> ServiceConfig | None:
        """The service called ``name``, if configured."""
        return next((s for s in self.services if s.name == name), None)

    def environment(self, service: str, env: str) -> EnvironmentConfig | None:
        """The environment ``env`` of ``service``, if configured."""
        svc = self.service(service)
        return next((e for e in svc.environments if e.name == env), None) if svc else None


def _ensure_unique(names: list[str], what: str) -> None:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"duplicate {what} name(s): {', '.join(dupes)}")
