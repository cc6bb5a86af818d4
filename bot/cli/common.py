"""Shared CLI plumbing: turning the bot's errors into messages and exit codes."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

from bot.bootstrap import Runtime, build_runtime, load_app_config
from bot.config import load_settings
from bot.domain.model import ServiceEnv
from bot.errors import ConfigError, NotAllowedError, NotFoundError, RollbackBotError, SchemaError, UsageError

P = ParamSpec("P")
R = TypeVar("R")

EXIT_FAILED = 1
EXIT_USAGE = 2


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print the bot's errors plainly on stderr: exit 2 when the command could not run as asked, 1 otherwise."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (ConfigError, UsageError, NotFoundError, NotAllowedError, SchemaError) as exc:
            click.echo(f"error: {exc.user_message}", err=True)
            raise SystemExit(EXIT_USAGE) from None
        except RollbackBotError as exc:
            click.echo(f"error: {exc.user_message}", err=True)
            raise SystemExit(EXIT_FAILED) from None

    return wrapper


def setup_logging() -> None:
    """Log to stderr at LOG_LEVEL (default INFO)."""
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def cli_runtime() -> Runtime:
    """The bot's runtime for a one-shot command: no Slack listeners, no server, and no migration.

    Raises:
        SchemaError: the database is not migrated (run ``rollback-bot db upgrade``) or is newer than this bot.
    """
    settings = load_settings()
    return build_runtime(settings, load_app_config(settings), slack_app=False, migrate_db=False)


def resolve_target(runtime: Runtime, service: str, env: str | None) -> ServiceEnv:
    """SERVICE [--env ENV] → a configured target (UsageError naming the choices otherwise)."""
    return runtime.deps.catalog.resolve(service, env).target
