"""`rollback-bot drill`: capture, a real rollback, verification and the restore, timed and recorded."""

from __future__ import annotations

import json
import os

import click

from bot.cli.common import EXIT_FAILED, cli_errors, cli_runtime
from bot.domain.kinds import parse_kind
from bot.errors import NotAllowedError
from bot.services.drills import run_drill


def register(group: click.Group) -> None:
    """Add the command to ``group``."""
    group.add_command(drill)


@click.command()
@click.argument("service")
@click.option("--env", "env", default=None, help="Environment (default: the only one, or prod).")
@click.option("--kind", default=None, help="A configured kind (default: the first that can run, code first).")
@click.option("--json", "as_json", is_flag=True, help="Print the drill record as JSON.")
@cli_errors
def drill(service: str, env: str | None, kind: str | None, as_json: bool) -> None:
    """Roll SERVICE back, verify, restore what it found; time and record it; exit 0 when it passed (≤ 120 s)."""
    runtime = cli_runtime()
    try:
        policy = runtime.deps.catalog.resolve(service, env)
        if policy.drills_require_approval:
            raise NotAllowedError(
                f"Drills in {policy.target} follow the two-person rule: run `/rollback drill {service} "
                f"{policy.target.environment}` in Slack (or set drills_require_approval: false for this environment)."
            )
        actor = f"cli:{os.environ.get('USER', 'unknown')}"
        outcome = run_drill(
            runtime.deps, target=policy.target, kind=parse_kind(kind, runtime.deps.kinds) if kind else None, actor=actor
        )
    finally:
        runtime.close()
    record = outcome.drill
    steps = [f"{s.name} ({s.seconds:.2f} s): {s.detail}" for s in outcome.steps]
    data: dict[str, object] = {
        "id": record.id,
        "target": str(record.target),
        "kind": record.kind,
        "passed": record.passed,
        "verified": record.verified,
        "restored": record.restored,
        "time_to_rollback": record.time_to_rollback,
        "phases": record.phases,
        "error": record.error,
        "steps": steps,
    }
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        verdict = "PASSED" if record.passed else "FAILED"
        restored = "restored" if record.restored else "NOT RESTORED"
        click.echo(f"drill #{record.id} {record.target} {record.kind}: {verdict} ({restored})")
        click.echo("  phases (s since trigger): " + ", ".join(f"{k}={v}" for k, v in record.phases.items()))
        for step in steps:
            click.echo(f"  - {step}")
        if record.error:
            click.echo(f"  error: {record.error}")
    if not record.passed:
        raise SystemExit(EXIT_FAILED)
