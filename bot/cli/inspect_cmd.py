"""`rollback-bot inspect SERVICE [--env ENV] [--json]`: live state of every configured component."""

from __future__ import annotations

import json

import click

from bot.bootstrap import standalone_environments
from bot.cli.common import EXIT_FAILED, cli_errors, registry_of
from bot.cli.render import facts_text
from bot.config import AppConfig, EnvironmentConfig, load_settings
from bot.domain.rollback_requests import ServiceEnv
from bot.errors import UsageError
from bot.services.inspect import inspect_environment, inspect_json


def register(group: click.Group) -> None:
    """Add the ``inspect`` command to ``group``."""
    group.add_command(inspect_command)


@click.command("inspect")
@click.argument("service")
@click.option("--env", "env_name", help="Environment (default: the only one, else 'prod').")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@cli_errors
def inspect_command(service: str, env_name: str | None, as_json: bool) -> None:
    """Show live state of SERVICE's components; exit 1 if any component could not be read, 2 on bad input."""
    registry = registry_of()
    config = registry.load_config(load_settings().config_path)
    env = choose_environment(config, service, env_name)
    environments = standalone_environments(config, registry)
    try:
        sections = inspect_environment(environments(ServiceEnv(service, env.name)), registry.kinds)
    finally:
        environments.close()
    text = json.dumps(inspect_json(sections), indent=2) if as_json else facts_text([s.facts() for s in sections])
    click.echo(text)
    if any(s.error for s in sections):
        raise SystemExit(EXIT_FAILED)


def choose_environment(config: AppConfig, service: str, env_name: str | None) -> EnvironmentConfig:
    """The named environment, else the service's only one, else ``prod``; refuse with the choices."""
    svc = config.service(service)
    if svc is None:
        known = ", ".join(s.name for s in config.services) or "none configured"
        raise UsageError(f"unknown service {service!r} (services: {known})")
    names = [e.name for e in svc.environments]
    wanted = env_name or (names[0] if len(names) == 1 else "prod" if "prod" in names else None)
    env = config.environment(service, wanted) if wanted else None
    if env is None:
        problem = f"unknown environment {env_name!r}" if env_name else "several environments"
        raise UsageError(f"{service}: {problem}; choose one with --env ({', '.join(names)})")
    return env
