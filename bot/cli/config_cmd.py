"""`rollback-bot config check`."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.common import cli_errors, registry_of
from bot.config import config_warnings, load_settings


def register(group: click.Group) -> None:
    """Add the command group to ``group``."""
    group.add_command(config)


@click.group()
def config() -> None:
    """Inspect the configuration file."""


@config.command("check")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@cli_errors
def check(file: Path | None) -> None:
    """Validate FILE (default: $ROLLBACK_BOT_CONFIG, else ./rollback-bot.yaml); exit 2 with the key path if invalid."""
    path = file or load_settings().config_path
    cfg = registry_of().load_config(path)
    envs = sum(len(s.environments) for s in cfg.services)
    click.echo(f"{path}: OK ({len(cfg.services)} services, {envs} environments)")
    for warning in config_warnings(cfg):
        click.echo(f"warning: {path}: {warning}", err=True)
    for service in cfg.services:
        for env in service.environments:
            parts = list(env.blocks())
            click.echo(f"  {service.name}/{env.name}: {', '.join(parts) or 'no components'}")
