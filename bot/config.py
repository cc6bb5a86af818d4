"""Configuration: the YAML file of SPEC §7 and the process environment, validated once at start.

Only the composition root, the CLI and the adapters import this module; the core gets plain values.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.errors import ConfigError

DEFAULT_CONFIG_PATH = "rollback-bot.yaml"
DEFAULT_DATABASE_URL = "sqlite:///rollback-bot.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_INLINE_PASSWORD = re.compile(r"^[a-z0-9+]+://[^:/@]+:[^@]+@", re.IGNORECASE)
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
            "SELECT count(*) AS total, count(prompt_version) AS with_version "
            "FROM llm_calls WHERE created_at >= :since"
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


# --- loading -----------------------------------------------------------------------------------


def _path_str(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _expand(value: Any, env: Mapping[str, str], file: str, loc: tuple[int | str, ...]) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, env, file, (*loc, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, env, file, (*loc, i)) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise ConfigError(f"{file}: {_path_str(loc)}: environment variable {name} is not set")
        return env[name]

    return _ENV_REF.sub(sub, value)


_SECRET_KEYS = {"api_key"}
_URL_KEYS = {"database_url"}


def _check_secrets(value: Any, file: str, loc: tuple[int | str, ...] = ()) -> None:
    """Secrets may appear only as ${ENV_VAR} references, never inline in the file."""
    if isinstance(value, dict):
        for k, v in value.items():
            _check_secrets(v, file, (*loc, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_secrets(v, file, (*loc, i))
    elif isinstance(value, str) and loc:
        key = loc[-1]
        if key in _SECRET_KEYS and not _ENV_REF.fullmatch(value):
            raise ConfigError(f"{file}: {_path_str(loc)}: secrets must be given as ${{ENV_VAR}} references")
        if key in _URL_KEYS and _INLINE_PASSWORD.match(value):
            raise ConfigError(
                f"{file}: {_path_str(loc)}: the URL holds a password; put the whole URL in an environment "
                "variable and write ${ENV_VAR}"
            )


def parse_config(text: str, *, file: str, env: Mapping[str, str]) -> AppConfig:
    """Parse and validate configuration text; every error names ``file`` and the key path."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: (top level): must be a mapping with keys 'azure' and 'services'")
    _check_secrets(raw, file)
    expanded = _expand(raw, env, file, ())
    try:
        return AppConfig.model_validate(expanded)
    except ValidationError as exc:
        lines = [f"{file}: {_path_str(tuple(e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("\n".join(lines)) from None


def load_config(path: str | Path, *, env: Mapping[str, str] | None = None) -> AppConfig:
    """Read and validate the configuration file at ``path``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read the configuration file: {exc.strerror}") from None
    return parse_config(text, file=str(p), env=os.environ if env is None else env)


@dataclass(frozen=True)
class Settings:
    """Process settings from the environment (SPEC §7); read once by the composition root."""

    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_api_url: str
    database_url: str
    config_path: Path
    config_path_explicit: bool
    port: int

    @property
    def slack_configured(self) -> bool:
        """True when a workspace can be reached (bot token and signing secret, or a Socket Mode token)."""
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))

    def __repr__(self) -> str:  # secrets never reach logs
        return (
            f"Settings(slack_configured={self.slack_configured}, socket_mode={bool(self.slack_app_token)}, "
            f"slack_api_url={self.slack_api_url!r}, database={_redact_url(self.database_url)!r}, "
            f"config_path={str(self.config_path)!r}, port={self.port})"
        )


def _redact_url(url: str) -> str:
    return _INLINE_PASSWORD.sub(lambda m: m.group(0).split("://")[0] + "://***@", url)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build ``Settings`` from environment variables."""
    e = os.environ if env is None else env
    port_text = e.get("PORT", "3000")
    if not port_text.isdigit():
        raise ConfigError(f"PORT must be a number, got {port_text!r}")
    api_url = e.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    return Settings(
        slack_bot_token=e.get("SLACK_BOT_TOKEN") or None,
        slack_signing_secret=e.get("SLACK_SIGNING_SECRET") or None,
        slack_app_token=e.get("SLACK_APP_TOKEN") or None,
        slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
        database_url=e.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        config_path=Path(e.get("ROLLBACK_BOT_CONFIG") or DEFAULT_CONFIG_PATH),
        config_path_explicit=bool(e.get("ROLLBACK_BOT_CONFIG")),
        port=int(port_text),
    )
