"""`rollback-bot drill`: capture, a real rollback, verification and the restore, timed and recorded."""

from __future__ import annotations

import json
import os

import click

from bot.cli.common import EXIT_FAILED, cli_errors, cli_runtime
from bot.domain.kinds import parse_kind
from bot.domain.plan import StepResult
from bot.errors import NotAllowedError, RollbackBotError
from bot.services import Deps
from bot.services.drills import DrillOutcome, start_drill
from bot.services.execution import run_claimed


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
    """Roll SERVICE back, verify, restore what it found; time and record it; exit 0 when it passed (≤ 120 s).

    The drill is a request holding the environment's slot like a rollback: refused (exit 2) while a change is
    in flight there, and nothing else starts on it while the drill runs.
    """
    runtime = cli_runtime()
    try:
        outcome = _run(runtime.deps, service, env, kind)
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


def _run(deps: Deps, service: str, env: str | None, kind: str | None) -> DrillOutcome:
    """Open the drill (approved: this environment needs none) and run it here, under its lease."""
    policy = deps.catalog.resolve(service, env)
    if policy.drills_need_approval:
        why = "production environments need drills_in_prod: true as well" if policy.production else ""
        raise NotAllowedError(
            f"Drills in {policy.target} follow the two-person rule: run `/rollback drill {service} "
            f"{policy.target.environment}` in Slack (or set drills_require_approval: false for this environment"
            + (f"; {why})." if why else ").")
        )
    actor = f"cli:{os.environ.get('USER', 'unknown')}"
    chosen = parse_kind(kind, deps.kinds) if kind else None
    claimed = start_drill(deps, target=policy.target, kind=chosen, requester_id=actor, channel_id=None, run_here=True)
    done = run_claimed(deps, claimed)
    drill = next((d for d in deps.drills.recent(policy.target, limit=5) if d.request_id == done.id), None)
    if drill is None:
        raise RollbackBotError(f"drill #{done.id} ended {done.status.value}: {done.result.get('error') or ''}")
    return DrillOutcome(drill, tuple(StepResult(**step) for step in done.result.get("steps", [])))
