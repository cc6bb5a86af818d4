"""`rollback-bot serve`."""

from __future__ import annotations

import click

from bot.bootstrap import NOT_CONFIGURED_HINT, load_app_config
from bot.cli.common import cli_errors
from bot.cli.logs import setup_logging
from bot.config import load_settings
from bot.server.process import DRAIN_SECONDS
from bot.server.process import serve as serve_process


def register(group: click.Group) -> None:
    """Add the command to ``group``."""
    group.add_command(serve)


@click.command()
@click.option("--port", type=int, default=None, help="Port to listen on (default: $PORT, else 3000).")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to bind.")  # noqa: S104
@click.option(
    "--drain-timeout",
    type=click.FloatRange(min=0),
    default=DRAIN_SECONDS,
    show_default=True,
    help="On SIGTERM/SIGINT, seconds that work in flight (executions, acked Slack requests) may take to finish; "
    "executions still running then are handed over to another replica.",
)
@click.option(
    "--no-migrate",
    is_flag=True,
    help="Do not migrate the database (`rollback-bot db upgrade` does, as a separate step); not ready until it is.",
)
@cli_errors
def serve(port: int | None, host: str, drain_timeout: float, no_migrate: bool) -> None:
    """Run the bot: Slack events, health and metrics over HTTP (and Socket Mode when SLACK_APP_TOKEN is set).

    The port is bound first; the database and Slack are then reached in the background, retried while they
    are unreachable (GET /health/ready says why until they answer). SIGTERM or SIGINT drains: new Slack work
    is refused and no execution is claimed, work in flight finishes (up to --drain-timeout), executions still
    running are handed over to another replica, then the process exits 0.
    """
    setup_logging()
    settings = load_settings()
    config = load_app_config(settings)
    if not settings.slack_configured:
        click.echo(f"note: {NOT_CONFIGURED_HINT}")
    serve_process(
        settings,
        config,
        host=host,
        port=port if port is not None else settings.port,
        announce=click.echo,
        migrate_db=not no_migrate,
        drain_seconds=drain_timeout,
    )
    click.echo("stopped")
