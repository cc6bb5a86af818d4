"""`rollback-bot db upgrade|downgrade|current`."""

from __future__ import annotations

import click

from bot.adapters.db import migrate
from bot.adapters.db.engine import make_engine
from bot.cli.common import cli_errors
from bot.config import load_settings


def register(group: click.Group) -> None:
    """Add the command group to ``group``."""
    group.add_command(db)


@click.group()
def db() -> None:
    """Manage the bot's database schema ($DATABASE_URL, default a SQLite file)."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@cli_errors
def upgrade(revision: str) -> None:
    """Migrate the database up (serve does this on start too)."""
    engine = make_engine(load_settings().database_url)
    migrate.upgrade(engine, revision)
    click.echo(f"database at revision {migrate.current_revision(engine)}")


@db.command()
@click.argument("revision")
@cli_errors
def downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ('base' removes every table)."""
    engine = make_engine(load_settings().database_url)
    migrate.downgrade(engine, revision)
    click.echo(f"database at revision {migrate.current_revision(engine) or 'base'}")


@db.command()
@cli_errors
def current() -> None:
    """Print the database's revision and the newest one this version ships."""
    engine = make_engine(load_settings().database_url)
    click.echo(f"current: {migrate.current_revision(engine) or 'base'}  head: {migrate.head_revision(engine)}")
