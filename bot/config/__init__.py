"""Configuration: the YAML file of SPEC §7 and the process environment, validated once at start.

Only the composition root, the CLI and the adapters import this package; the core gets plain values.
"""

from __future__ import annotations

from bot.config.load import (
    DEFAULT_CONFIG_PATH,
    DEFAULT_DATABASE_URL,
    DEFAULT_SLACK_API_URL,
    Settings,
    load_config,
    load_settings,
    parse_config,
)
from bot.config.model import (
    AppConfig,
    ApproversConfig,
    AzureConfig,
    ChecklistConfig,
    ContainerAppConfig,
    EnvironmentConfig,
    OpenAIConfig,
    PostgresConfig,
    PromptsConfig,
    SearchConfig,
    ServiceConfig,
    TelemetryConfig,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_SLACK_API_URL",
    "AppConfig",
    "ApproversConfig",
    "AzureConfig",
    "ChecklistConfig",
    "ContainerAppConfig",
    "EnvironmentConfig",
    "OpenAIConfig",
    "PostgresConfig",
    "PromptsConfig",
    "SearchConfig",
    "ServiceConfig",
    "Settings",
    "TelemetryConfig",
    "load_config",
    "load_settings",
    "parse_config",
]
