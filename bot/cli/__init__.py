"""The `rollback-bot` command line."""

from __future__ import annotations

import click

from bot.cli import checklist, config_cmd, db, drill, inspect, prompts, requests_cmd, sandbox, serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rollback-bot")
def main() -> None:
    """rollback-bot: guided, two-person-approved rollbacks of LLM deployments on Azure, from Slack."""


for _module in (serve, config_cmd, db, inspect, checklist, drill, prompts, requests_cmd, sandbox):
    _module.register(main)
