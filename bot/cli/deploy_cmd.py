"""`rollback-bot deploy` (exit 0 promoted, 1 rolled back, 2 could not run, 3 refused), `freeze` and `unfreeze`."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from bot.cli.common import cli_errors, cli_runtime, resolve_target
from bot.domain.deploy import DeployProgress, ExitCode, TemplateChange, parse_steps
from bot.errors import ConfigError, NotAllowedError, NotFoundError, RollbackBotError, SchemaError, UsageError
from bot.services.deploy.freezes import freeze, unfreeze
from bot.services.deploy.run import DeployReport, DeployRequest, deploy

ENV_HELP = "Environment (default: the only one, or prod)."


def register(group: click.Group) -> None:
    """Add ``deploy``, ``freeze`` and ``unfreeze`` to ``group``."""
    group.add_command(deploy_command)
    group.add_command(freeze_command)
    group.add_command(unfreeze_command)


def _actor() -> str:
    return f"cli:{os.environ.get('USER', 'unknown')}"


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """SIGTERM and Ctrl-C set the event (the deploy rolls back, then exits) instead of killing the process."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: object) -> None:
        click.echo(f"rollback-bot deploy: {signal.Signals(signum).name}: rolling back, then exiting", err=True)
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def report_json(report: DeployReport) -> dict[str, Any]:
    """The documented JSON of a deploy."""
    result = report.result
    return {
        "service": report.target.service,
        "environment": report.target.environment,
        "exit_code": int(report.exit_code),
        "outcome": report.exit_code.name,
        "message": report.message,
        "revision": report.revision,
        "deploy": report.run_id,
        "release": report.release_id,
        "aborted_by": report.aborted_by,
        "rules_before": result.before.to_json() if result else None,
        "rules_after": result.after.to_json() if result else None,
        "evidence": list(report.evidence),
    }


@click.command("deploy")
@click.argument("service")
@click.option("--env", "env", default=None, help=ENV_HELP)
@click.option("--image", required=True, help="The container image of the new revision.")
@click.option("--revision-suffix", "suffix", default=None, help="The new revision's suffix (default: from the time).")
@click.option("--steps", default=None, help="Canary steps in percent, e.g. 5,25,100 (default: deploy.steps).")
@click.option("--json", "as_json", is_flag=True, help="Print the documented JSON instead of text.")
def deploy_command(
    service: str, env: str | None, image: str, suffix: str | None, steps: str | None, as_json: bool
) -> None:
    """Deploy IMAGE to SERVICE guarded: a new revision at 0 %, health gate, canary steps, promote or roll back.

    Exit codes: 0 promoted; 1 a gate failed or the deploy was aborted, traffic is back as before; 2 could not run;
    3 refused (a freeze, another change in flight, or the checklist when deploy.require_checklist is true).
    SIGTERM or Ctrl-C during a deploy rolls back before exiting.
    """
    try:
        runtime = cli_runtime()
    except (ConfigError, SchemaError, UsageError) as exc:
        click.echo(f"error: {exc.user_message}", err=True)
        raise SystemExit(ExitCode.could_not_run) from None
    try:
        with _stop_on_signals() as stop:
            request = DeployRequest(
                target=resolve_target(runtime, service, env),
                change=TemplateChange(image=image),
                actor=_actor(),
                suffix=suffix,
                steps=parse_steps(steps) if steps else None,
            )
            report = deploy(runtime.deps, request, stop=stop, on_progress=None if as_json else _echo_progress)
    except (ConfigError, UsageError, NotFoundError, NotAllowedError, SchemaError, RollbackBotError) as exc:
        click.echo(f"error: {exc.user_message}", err=True)
        raise SystemExit(ExitCode.could_not_run) from None
    finally:
        runtime.close()
    if as_json:
        click.echo(json.dumps(report_json(report), indent=2))
    else:
        click.echo(report.message, err=report.exit_code != ExitCode.promoted)
    raise SystemExit(int(report.exit_code))


_last: dict[str, str] = {}


def _echo_progress(progress: DeployProgress) -> None:
    line = f"[{progress.elapsed_seconds:5.1f}s] {progress.state.value}: {progress.weight} % on {progress.revision}"
    if progress.note:
        line += f" ({progress.note})"
    if _last.get("line") != line:
        _last["line"] = line
        print(line, file=sys.stderr, flush=True)


@click.command("freeze")
@click.argument("service")
@click.option("--env", "env", default=None, help=ENV_HELP)
@click.option("--for", "duration", required=True, help="How long: 90m, 2h, 1d (at most 30d).")
@click.option("--reason", required=True, help="Why (shown to whoever is refused).")
@cli_errors
def freeze_command(service: str, env: str | None, duration: str, reason: str) -> None:
    """Stop deploys to SERVICE until the time is up (rollbacks are never blocked)."""
    runtime = cli_runtime()
    try:
        frozen = freeze(
            runtime.deps, resolve_target(runtime, service, env), duration=duration, reason=reason, actor=_actor()
        )
    finally:
        runtime.close()
    click.echo(f"{frozen.target}: deploys {frozen.describe().plain()}")


@click.command("unfreeze")
@click.argument("service")
@click.option("--env", "env", default=None, help=ENV_HELP)
@cli_errors
def unfreeze_command(service: str, env: str | None) -> None:
    """End SERVICE's deploy freeze now."""
    runtime = cli_runtime()
    try:
        target = resolve_target(runtime, service, env)
        ended = unfreeze(runtime.deps, target, actor=_actor())
    finally:
        runtime.close()
    click.echo(f"{target}: freeze ended (was {ended.describe().plain()})" if ended else f"{target}: was not frozen")
