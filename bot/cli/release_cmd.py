"""`rollback-bot release record|mark`, `releases` and `drift` (drift: exit 0 equal, 1 drift, 2 could not run)."""

from __future__ import annotations

import json
import os
from typing import Any

import click

from bot.cli.common import EXIT_USAGE, cli_errors, cli_runtime, resolve_target
from bot.domain.releases import DriftReport, Release, ReleaseStatus
from bot.errors import RollbackBotError
from bot.services.drift import check_drift, drift_lines, post_drift
from bot.services.releases import mark_release, record_release, releases_of
from bot.text import iso_time

ENV_HELP = "Environment (default: the only one, or prod)."


def register(group: click.Group) -> None:
    """Add ``release``, ``releases`` and ``drift`` to ``group``."""
    group.add_command(release)
    group.add_command(releases)
    group.add_command(drift)


def _actor() -> str:
    return f"cli:{os.environ.get('USER', 'unknown')}"


def release_json(release: Release) -> dict[str, Any]:
    """The documented JSON of one release."""
    return {
        "id": release.id,
        "service": release.target.service,
        "environment": release.target.environment,
        "recorded_at": release.recorded_at.isoformat(),
        "source": release.source,
        "actor": release.actor,
        "note": release.note,
        "status": release.status.value,
        "marked_by": release.marked_by,
        "marked_at": release.marked_at.isoformat() if release.marked_at else None,
        "layers": {
            layer.kind: [
                {"name": i.name, "value": i.value, "text": i.text, "warning": i.warning or None} for i in layer.items
            ]
            for layer in release.layers
        },
    }


def release_text(release: Release) -> str:
    """``#7  2026-11-26 09:00 UTC  good  cli by cli:alice  note`` and one indented line per layer."""
    head = (
        f"#{release.id}  {iso_time(release.recorded_at)}  {release.status.value:<7}  "
        f"{release.source} by {release.actor}" + (f"  {release.note}" if release.note else "")
    )
    return "\n".join([head, *(f"    {layer.kind}: {layer.text()}" for layer in release.layers)])


@click.group()
def release() -> None:
    """Record a release (the state of every layer now) or mark one good or bad."""


@release.command("record")
@click.argument("service")
@click.option("--env", "env", default=None, help=ENV_HELP)
@click.option("--note", default="", help="What this release is, e.g. 'deploy 1.4.2'.")
@click.option("--json", "as_json", is_flag=True, help="Print the release as JSON.")
@cli_errors
def record(service: str, env: str | None, note: str, as_json: bool) -> None:
    """Record every layer of SERVICE as it is now (for teams that deploy with other tools)."""
    runtime = cli_runtime()
    try:
        recorded = record_release(
            runtime.deps, resolve_target(runtime, service, env), source="cli", actor=_actor(), note=note
        )
    finally:
        runtime.close()
    click.echo(json.dumps(release_json(recorded), indent=2) if as_json else f"recorded {release_text(recorded)}")


@release.command("mark")
@click.argument("service")
@click.argument("release_id", metavar="ID", type=int)
@click.argument("status", type=click.Choice([ReleaseStatus.good.value, ReleaseStatus.bad.value]))
@click.option("--env", "env", default=None, help=ENV_HELP)
@cli_errors
def mark(service: str, release_id: int, status: str, env: str | None) -> None:
    """Mark release ID of SERVICE good or bad (the default target of a release rollback is the newest good one)."""
    runtime = cli_runtime()
    try:
        marked = mark_release(
            runtime.deps, resolve_target(runtime, service, env), release_id, ReleaseStatus(status), actor=_actor()
        )
    finally:
        runtime.close()
    click.echo(f"release #{marked.id} of {marked.target} is marked {marked.status.value}")


@click.command()
@click.argument("service")
@click.option("--env", "env", default=None, help=ENV_HELP)
@click.option("--limit", default=20, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@cli_errors
def releases(service: str, env: str | None, limit: int, as_json: bool) -> None:
    """List SERVICE's releases, newest first, marked good, bad or unknown."""
    runtime = cli_runtime()
    try:
        target = resolve_target(runtime, service, env)
        found = list(releases_of(runtime.deps, target, limit=limit))
    finally:
        runtime.close()
    if as_json:
        click.echo(json.dumps([release_json(r) for r in found], indent=2))
    else:
        click.echo("\n".join(release_text(r) for r in found) or f"{target}: no release recorded yet")


@click.command()
@click.argument("service")
@click.option("--env", "env", default=None, help=ENV_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the documented JSON instead of text.")
@click.option("--post", is_flag=True, help="Also post the drift to the environment's deploy channel.")
@cli_errors
def drift(service: str, env: str | None, as_json: bool, post: bool) -> None:
    """Compare every layer of SERVICE with its newest release: exit 0 equal, 1 drift, 2 could not run."""
    runtime = cli_runtime()
    posted: str | None = None
    problem: str | None = None
    try:
        report = check_drift(runtime.deps, resolve_target(runtime, service, env))
        if post:
            try:
                posted = post_drift(runtime.deps, report, new_only=False)
            except RollbackBotError as exc:
                problem = exc.user_message
    finally:
        runtime.close()
    click.echo(json.dumps(drift_json(report, posted), indent=2) if as_json else drift_text(report))
    if problem:
        click.echo(f"error: could not post: {problem}", err=True)
        raise SystemExit(EXIT_USAGE)
    raise SystemExit(report.exit_code)


def drift_json(report: DriftReport, posted: str | None = None) -> dict[str, Any]:
    """The documented JSON of a drift check."""
    return {
        "service": report.target.service,
        "environment": report.target.environment,
        "release": report.release.id if report.release else None,
        "last_good": report.last_good.id if report.last_good else None,
        "drifted": report.drifted,
        "exit_code": report.exit_code,
        "drift": [
            {"kind": d.kind, "item": d.name, "release": d.recorded_text, "now": d.live_text} for d in report.diffs
        ],
        "warnings": list(report.warnings),
        "errors": list(report.errors),
        "posted_ts": posted,
    }


def drift_text(report: DriftReport) -> str:
    """What moved, or that nothing did, then warnings and what could not be read."""
    if report.release is None:
        lines = [f"{report.target}: cannot check drift"]
    elif report.drifted:
        lines = [f"{report.target}: DRIFT from {report.release.label}: {', '.join(report.kinds)}"]
        lines += [f"  {line}" for line in drift_lines(report.diffs)]
    else:
        lines = [f"{report.target}: matches {report.release.label}"]
    lines += [f"  warning: {w}" for w in report.warnings]
    lines += [f"  error: {e}" for e in report.errors]
    return "\n".join(lines)
