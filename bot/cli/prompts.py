"""`rollback-bot prompts list|show|add|activate|history|init|uninstall`: the prompt registry of one environment.

`init` and `uninstall` are the only commands that change the application database's schema.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import IO, Any, TypeVar

import click

from bot.adapters.db.engine import make_engine
from bot.adapters.prompts import SqlPromptStore, uninstall_prompts_db, upgrade_prompts_db
from bot.adapters.prompts.schema import PromptTableNames
from bot.cli.common import cli_errors, registry_of
from bot.config import AppConfig, load_settings
from bot.domain.prompts import PromptActivation, PromptVersion
from bot.domain.rollback_requests import ServiceEnv
from bot.errors import UsageError
from bot.kinds.prompt.wiring import PromptsConfig, prompts_init_command

F = TypeVar("F", bound=Callable[..., Any])


def register(group: click.Group) -> None:
    """Add the command group to ``group``."""
    group.add_command(prompts)


@click.group()
def prompts() -> None:
    """Versioned system prompts of a service's environment (its `prompts` block in the config)."""


def _target(func: F) -> F:
    """The --service/--env options every sub-command takes."""
    func = click.option("--env", "env", help="Environment (optional when only one has prompts).")(func)
    return click.option("--service", help="Service (optional when only one has prompts).")(func)


# --- choosing the environment -------------------------------------------------------------------


def resolve_prompts(config: AppConfig, service: str | None, env: str | None) -> tuple[ServiceEnv, PromptsConfig]:
    """The environment and the prompts block the options designate; UsageError when unclear."""
    if service is not None and config.service(service) is None:
        known = ", ".join(s.name for s in config.services) or "none"
        raise UsageError(f"unknown service {service!r} (configured: {known})")
    if service is not None and env is not None and config.environment(service, env) is None:
        raise UsageError(f"service {service!r} has no environment {env!r}")
    found = [
        (ServiceEnv(s.name, e.name), block)
        for s in config.services
        for e in s.environments
        if isinstance(block := e.block("prompts"), PromptsConfig)
        and service in (None, s.name)
        and env in (None, e.name)
    ]
    if not found:
        where = "/".join(x for x in (service, env) if x) or "any environment"
        raise UsageError(f"no `prompts` block configured for {where}")
    if len(found) > 1:
        raise UsageError(
            f"several environments have prompts ({', '.join(str(n) for n, _ in found)}); pass --service and --env"
        )
    label, block = found[0]
    assert block is not None  # filtered above
    return label, block


def _prompts_config(service: str | None, env: str | None) -> tuple[ServiceEnv, PromptsConfig]:
    return resolve_prompts(registry_of().load_config(load_settings().config_path), service, env)


@contextmanager
def _store(service: str | None, env: str | None) -> Iterator[SqlPromptStore]:
    label, block = _prompts_config(service, env)
    engine = make_engine(block.database_url)
    try:
        yield SqlPromptStore(engine, block.table, init_command=prompts_init_command(label))
    finally:
        engine.dispose()


def _default_actor() -> str:
    return f"cli:{os.environ.get('USER') or 'unknown'}"


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


def _version_json(v: PromptVersion) -> dict[str, Any]:
    return {**asdict(v), "created_at": v.created_at.isoformat()}


def _activation_json(a: PromptActivation) -> dict[str, Any]:
    return {**asdict(a), "at": a.at.isoformat()}


# --- commands -----------------------------------------------------------------------------------


@prompts.command("list")
@_target
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@cli_errors
def list_(service: str | None, env: str | None, as_json: bool) -> None:
    """Each prompt with its active version and number of versions."""
    with _store(service, env) as store:
        rows = [_summary(name, store.versions(name)) for name in store.names()]
    if as_json:
        _echo_json([{"name": n, "active": a, "versions": c} for n, a, c in rows])
        return
    if not rows:
        click.echo("no prompts")
        return
    width = max(len(n) for n, _, _ in rows)
    click.echo(f"{'NAME':<{width}}  ACTIVE  VERSIONS")
    for name, active, count in rows:
        click.echo(f"{name:<{width}}  {'-' if active is None else active:>6}  {count:>8}")


def _summary(name: str, versions: list[PromptVersion]) -> tuple[str, int | None, int]:
    return name, next((v.version for v in versions if v.is_active), None), len(versions)


@prompts.command()
@_target
@click.argument("name")
@click.option("--version", "version", type=int, help="Version to show (default: the active one).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@cli_errors
def show(service: str | None, env: str | None, name: str, version: int | None, as_json: bool) -> None:
    """Print the content of a prompt version (the active one by default)."""
    with _store(service, env) as store:
        found = store.get(name, version) if version is not None else store.active(name)
    if found is None:
        raise UsageError(f"prompt {name!r} has no active version; pass --version")
    if as_json:
        _echo_json(_version_json(found))
    else:
        click.echo(found.content)


@prompts.command()
@_target
@click.argument("name")
@click.option(
    "--file", "file", type=click.File("r", encoding="utf-8"), help="Read the content from a file ('-': stdin)."
)
@click.option("--text", "text", help="The content itself.")
@click.option("--actor", help="Who adds it (default: cli:$USER).")
@cli_errors
def add(
    *, service: str | None, env: str | None, name: str, file: IO[str] | None, text: str | None, actor: str | None
) -> None:
    """Add a new, inactive version of NAME (numbered one above the newest)."""
    if (file is None) == (text is None):
        raise UsageError("give the content with exactly one of --file or --text")
    content = file.read() if file is not None else text
    assert content is not None  # one of the two is given
    with _store(service, env) as store:
        created = store.add(name, content, actor=actor or _default_actor())
    click.echo(f"added {name} version {created.version} (inactive)")


@prompts.command()
@_target
@click.argument("name")
@click.argument("version", type=int)
@click.option("--reason", required=True, help="Why (recorded in the history).")
@click.option("--actor", help="Who activates it (default: cli:$USER).")
@cli_errors
def activate(*, service: str | None, env: str | None, name: str, version: int, reason: str, actor: str | None) -> None:
    """Make VERSION the active version of NAME, atomically, and record it."""
    with _store(service, env) as store:
        done = store.activate(name, version, actor=actor or _default_actor(), reason=reason)
    before = "none" if done.from_version is None else str(done.from_version)
    click.echo(f"{name}: version {done.to_version} is active (was {before})")


@prompts.command()
@_target
@click.argument("name")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Most entries to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@cli_errors
def history(service: str | None, env: str | None, name: str, limit: int, as_json: bool) -> None:
    """Activations of NAME, newest first."""
    with _store(service, env) as store:
        entries = store.history(name, limit)
    if as_json:
        _echo_json([_activation_json(a) for a in entries])
        return
    if not entries:
        click.echo(f"{name}: no activations recorded")
    for a in entries:
        before = "-" if a.from_version is None else str(a.from_version)
        click.echo(f"{a.at.isoformat(timespec='seconds')}  {before} -> {a.to_version}  {a.actor}  {a.reason}")


@prompts.command()
@_target
@cli_errors
def init(service: str | None, env: str | None) -> None:
    """Add the guards to the application's existing prompts table (see docs/prompts.md for the privileges).

    One active version per name, activation history recorded by the database, versions that have been
    active kept as they are. The only command (with `uninstall`) that changes the prompts database's schema.
    """
    label, block = _prompts_config(service, env)
    engine = make_engine(block.database_url)
    try:
        done = upgrade_prompts_db(engine, block.table)
    finally:
        engine.dispose()
    if not done.ran:
        click.echo(f"{label}: the guards on {block.table} are already in place (revision {done.after})")
        return
    click.echo(
        f"{label}: guards installed on {block.table} (revision {done.after}): one active version per name, "
        f"every activation recorded in {PromptTableNames.of(block.table).activations}, "
        "versions that have been active kept as they are"
    )


@prompts.command()
@_target
@click.option("--drop-history", is_flag=True, help="Remove the activation history table as well.")
@cli_errors
def uninstall(service: str | None, env: str | None, drop_history: bool) -> None:
    """Remove what `init` added to the prompts database; the activation history stays unless --drop-history."""
    label, block = _prompts_config(service, env)
    engine = make_engine(block.database_url)
    try:
        done = uninstall_prompts_db(engine, block.table, drop_history=drop_history)
    finally:
        engine.dispose()
    click.echo(f"{label}: removed the guards, triggers and bookkeeping `prompts init` added to {block.table}")
    if done.history_kept:
        click.echo(
            f"kept the activation history table {done.history_table} ({done.history_rows} rows); "
            "remove it too with `prompts uninstall --drop-history`"
        )
    else:
        click.echo(f"dropped the activation history table {done.history_table} ({done.history_rows} rows)")
    click.echo(f"prompt rollbacks for {label} are refused until `{prompts_init_command(label)}` runs again")
