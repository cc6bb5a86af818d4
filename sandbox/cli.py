"""`rollback-bot sandbox`: the whole bot on this machine behind a Slack-like page.

Installed as a plugin command (entry point ``rollback_bot.commands``) by the ``rollback-bot-sandbox``
distribution, which ``rollback-bot[sandbox]`` pulls in.
"""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import click

from bot.cli.common import cli_errors
from sandbox.app import LOG_FILE, Sandbox
from sandbox.emulators.process import wait_until_stopped

DEFAULT_STATE_DIR = Path(".rollback-bot") / "sandbox"
DEFAULT_PORT = 8080


@click.command()
@click.option("--port", type=int, default=DEFAULT_PORT, show_default=True, help="Port of the page (0: any free port).")
@click.option("--reset", is_flag=True, help="Start again from the demo estate: wipes the state folder first.")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_STATE_DIR,
    show_default=True,
    help="Where the sandbox keeps its databases, the emulated estate and the channel between runs.",
)
@cli_errors
def sandbox(port: int, reset: bool, state_dir: Path) -> None:
    """Try the bot with no Slack workspace and no Azure subscription.

    Starts, on 127.0.0.1 only, an Azure emulator with a demo estate (service pharmabot, prod and staging,
    a failing revision at 100 %, a bad prompt version), a Slack fake, the real bot and a page that looks
    and behaves like Slack. Open the printed URL; Ctrl-C stops everything. The state is kept for the next
    start unless --reset.
    """
    running = _start(state_dir, port, reset)
    _log_to_file(state_dir / LOG_FILE)
    click.echo(f"Sandbox ready: {running.url}")
    click.echo(f"State in {state_dir} (--reset starts over), log in {state_dir / LOG_FILE}. Ctrl-C stops it.")
    wait_until_stopped()
    running.close()
    click.echo("Sandbox stopped; its state is kept for the next start.")


def _start(state_dir: Path, port: int, reset: bool) -> Sandbox:
    try:
        return Sandbox.start(state_dir, port=port, reset=reset)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or port == 0:
            raise click.ClickException(f"cannot serve the page on port {port}: {exc.strerror}") from None
    click.echo(f"Port {port} is taken; using a free port instead.")
    return Sandbox.start(state_dir, port=0, reset=reset)


def _log_to_file(path: Path) -> None:
    """Everything at INFO into the state folder; the terminal shows errors only (LOG_LEVEL changes that)."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    console = logging.StreamHandler()
    console.setLevel(os.environ.get("LOG_LEVEL", "ERROR").upper())
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    root.addHandler(console)
