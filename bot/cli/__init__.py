"""The `rollback-bot` command line.

Commands of other installed distributions join through the ``rollback_bot.commands`` entry-point group
(the sandbox does: ``pip install 'rollback-bot[sandbox]'``). They are looked up only when the command line
runs, never at import.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import click

from bot.cli import (
    checklist_cmd,
    config_cmd,
    db,
    deploy_cmd,
    drill_cmd,
    inspect_cmd,
    prompts,
    prune,
    release_cmd,
    requests_cmd,
    serve,
    telemetry_cmd,
)
from bot.cli.common import EXIT_USAGE

PLUGIN_GROUP = "rollback_bot.commands"
# Commands that live in an optional distribution, and how to get each when it is missing.
OPTIONAL = {"sandbox": "pip install 'rollback-bot[sandbox]' (from a clone: pip install '.[sandbox]')"}


class _Main(click.Group):
    """The built-in commands, then the installed plugins' (a missing optional one says how to get it)."""

    def _plugins(self) -> dict[str, click.Command]:
        found: dict[str, click.Command] = {}
        for ep in entry_points(group=PLUGIN_GROUP):
            command = ep.load()
            if isinstance(command, click.Command):
                found[ep.name] = command
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugins(), *OPTIONAL})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name) or self._plugins().get(cmd_name)
        if command is None and cmd_name in OPTIONAL:
            return _missing(cmd_name, OPTIONAL[cmd_name])
        return command


def _missing(name: str, how: str) -> click.Command:
    @click.command(name=name, context_settings={"ignore_unknown_options": True}, add_help_option=False)
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def command(args: tuple[str, ...]) -> None:
        click.echo(f"error: `rollback-bot {name}` is not installed; get it with: {how}", err=True)
        raise SystemExit(EXIT_USAGE)

    command.help = f"(not installed: {how})"
    command.short_help = f"not installed: {how}"
    return command


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rollback-bot")
def main() -> None:
    """rollback-bot: guided, two-person-approved rollbacks of LLM deployments on Azure, from Slack."""


for _module in (
    serve,
    config_cmd,
    db,
    deploy_cmd,
    inspect_cmd,
    checklist_cmd,
    drill_cmd,
    prompts,
    requests_cmd,
    prune,
    release_cmd,
    telemetry_cmd,
):
    _module.register(main)
