"""`rollback-bot db upgrade|downgrade|current`: the only commands (with `serve`) that change the bot's schema."""

from __future__ import annotations

import click

from bot.adapters.db import migrate
from bot.adapters.db.engine import make_engine
from bot.cli.common import cli_errors
from bot.config import load_settings
from bot.errors import SchemaTooNewError


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
    """Migrate the database up; concurrent runs wait for each other (serve migrates too, unless --no-migrate)."""
    engine = make_engine(load_settings().database_url)
    try:
        done = migrate.upgrade(engine, revision)
    finally:
        engine.dispose()
    what = f"migrated from {done.before or 'empty'}" if done.ran else "nothing to do"
    click.echo(f"database at revision {done.after} ({what})")


@db.command()
@click.argument("revision")
@cli_errors
def downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ('base' removes every table)."""
    engine = make_engine(load_settings().database_url)
    try:
        done = migrate.downgrade(engine, revision)
    finally:
        engine.dispose()
    click.echo(f"database at revision {done.after or 'base'}")


@db.command()
@cli_errors
def current() -> None:
    """Print the database's revision and the newest one this version ships (exit 2 when the database is newer)."""
    engine = make_engine(load_settings().database_url)
    try:
        now, head = migrate.current_revision(engine), migrate.head_revision()
    finally:
        engine.dispose()
    click.echo(f"current: {now or 'base'}  head: {head}")
    if now is not None and now not in migrate.known_revisions():
        raise SchemaTooNewError(migrate.newer_schema_message(now, head))
