"""Shared CLI plumbing: turning the bot's errors into messages and exit codes."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

from bot.errors import ConfigError, NotFoundError, RollbackBotError, UsageError

P = ParamSpec("P")
R = TypeVar("R")

EXIT_FAILED = 1
EXIT_USAGE = 2


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print the bot's errors plainly on stderr: exit 2 for config/usage problems, 1 for the rest."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (ConfigError, UsageError, NotFoundError) as exc:
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
