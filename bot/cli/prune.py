"""`rollback-bot prune`: remove old requests, audit events, checklist runs and claims, and drills."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from bot.adapters.db.engine import make_engine
from bot.adapters.db.migrate import require_head
from bot.adapters.db.retention import SqlRetention
from bot.cli.common import cli_errors
from bot.config import load_settings
from bot.domain.retention import DEFAULT_RETENTION, parse_retention


def register(group: click.Group) -> None:
    """Add the command to ``group``."""
    group.add_command(prune)


@click.command()
@click.option(
    "--older-than",
    "older_than",
    default=f"{DEFAULT_RETENTION.days}d",
    show_default=True,
    help="Remove records older than this many days (at least 30d).",
)
@click.option("--dry-run", is_flag=True, help="Only count what would be removed.")
@cli_errors
def prune(older_than: str, dry_run: bool) -> None:
    """Remove records older than --older-than; requests in flight (and their audit trail) always stay.

    The only way anything leaves the audit log. Run it daily (see docs/operations.md).
    """
    cutoff = datetime.now(UTC) - parse_retention(older_than)
    engine = make_engine(load_settings().database_url)
    try:
        require_head(engine)
        done = SqlRetention(engine).prune(cutoff, dry_run=dry_run)
    finally:
        engine.dispose()
    click.echo(done.summary(dry_run=dry_run))
