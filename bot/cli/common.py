"""Shared CLI plumbing: turning the bot's errors into messages and exit codes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import click

from bot.bootstrap import Runtime, build_runtime, load_app_config
from bot.config import load_settings
from bot.domain.rollback_requests import ServiceEnv
from bot.errors import ConfigError, NotAllowedError, NotFoundError, RollbackBotError, SchemaError, UsageError
from bot.kinds.builtin import BUILTIN
from bot.kinds.edge import KindRegistry

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


@dataclass(frozen=True)
class CliContext:
    """What a command line runs with (``CliRunner().invoke(main, args, obj=CliContext(registry))`` in tests)."""

    registry: KindRegistry = BUILTIN


def registry_of() -> KindRegistry:
    """The kinds this command line knows (the built-ins unless the caller passed a ``CliContext``)."""
    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(CliContext) if ctx is not None else None
    return found.registry if found is not None else BUILTIN


def cli_runtime() -> Runtime:
    """The bot's runtime for a one-shot command: no Slack listeners, no server, and no migration.

    Raises:
        SchemaError: the database is not migrated (run ``rollback-bot db upgrade``) or is newer than this bot.
    """
    settings = load_settings()
    registry = registry_of()
    config = load_app_config(settings, registry)
    return build_runtime(settings, config, slack_app=False, migrate_db=False, registry=registry)


def resolve_target(runtime: Runtime, service: str, env: str | None) -> ServiceEnv:
    """SERVICE [--env ENV] → a configured target (UsageError naming the choices otherwise)."""
    return runtime.deps.catalog.resolve(service, env).target
