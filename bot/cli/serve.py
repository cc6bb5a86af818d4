"""`rollback-bot serve`."""

from __future__ import annotations

import click

from bot.bootstrap import NOT_CONFIGURED_HINT, build_runtime, load_app_config
from bot.cli.common import cli_errors, setup_logging
from bot.config import load_settings
from bot.server import freeze_startup_heap, make_server, start_socket_mode


def register(group: click.Group) -> None:
    """Add the command to ``group``."""
    group.add_command(serve)


@click.command()
@click.option("--port", type=int, default=None, help="Port to listen on (default: $PORT, else 3000).")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to bind.")  # noqa: S104
@cli_errors
def serve(port: int | None, host: str) -> None:
    """Run the bot: Slack events, health and metrics over HTTP (and Socket Mode when SLACK_APP_TOKEN is set)."""
    setup_logging()
    settings = load_settings()
    runtime = build_runtime(settings, load_app_config(settings))
    runtime.start_background()
    freeze_startup_heap()
    server = make_server(runtime, host=host, port=port if port is not None else settings.port)
    try:
        if settings.slack_configured and settings.slack_app_token:
            start_socket_mode(runtime, settings.slack_app_token)
        click.echo(f"rollback-bot listening on http://{host}:{server.effective_port} (database migrated to head)")
        if not settings.slack_configured:
            click.echo(f"note: {NOT_CONFIGURED_HINT}")
        elif settings.slack_app_token:
            click.echo("connected to Slack over Socket Mode")
        server.run()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.close()
        runtime.close()
