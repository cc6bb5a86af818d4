"""Configuration: the YAML file and the process environment, validated once at start.

Only the composition root, the CLI, the adapters and the kinds' wiring import this package; the core gets
plain values. The schema here holds what every environment has; each kind adds its own block
(``schema_with``), so the file a bot accepts is the one its registered kinds describe.
"""

from __future__ import annotations

from bot.config.advice import config_warnings
from bot.config.file_model import (
    AppConfig,
    ApproversConfig,
    AzureConfig,
    ChecklistConfig,
    ConfigBlock,
    DriftConfig,
    EnvironmentConfig,
    LogAnalyticsTelemetryConfig,
    NonEmpty,
    ServiceConfig,
    SqlTelemetryConfig,
    TelemetryConfig,
    TelemetryQueries,
    VerifyConfig,
    is_loopback,
    schema_with,
)
from bot.config.load import (
    DEFAULT_CONFIG_PATH,
    DEFAULT_DATABASE_URL,
    DEFAULT_SLACK_API_URL,
    Settings,
    known_secrets,
    load_config,
    load_settings,
    parse_config,
)
from bot.config.secrets import MaySecret, NonEmptySecret, SecretUrl

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_SLACK_API_URL",
    "AppConfig",
    "ApproversConfig",
    "AzureConfig",
    "ChecklistConfig",
    "ConfigBlock",
    "DriftConfig",
    "EnvironmentConfig",
    "LogAnalyticsTelemetryConfig",
    "MaySecret",
    "NonEmpty",
    "NonEmptySecret",
    "SecretUrl",
    "ServiceConfig",
    "Settings",
    "SqlTelemetryConfig",
    "TelemetryConfig",
    "TelemetryQueries",
    "VerifyConfig",
    "config_warnings",
    "is_loopback",
    "known_secrets",
    "load_config",
    "load_settings",
    "parse_config",
    "schema_with",
]
