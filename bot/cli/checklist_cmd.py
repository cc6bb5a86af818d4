"""`rollback-bot checklist`: the pre-deploy gate for CI (exit 0 pass, 1 fail, 2 could not run)."""

from __future__ import annotations

import json

import click

from bot.cli.common import EXIT_USAGE, cli_errors, cli_runtime, resolve_target
from bot.domain.readiness import CheckStatus, worst
from bot.services.checklist_runs import ChecklistRun, post_checklist, run_checklists

MARK = {CheckStatus.passed: "PASS", CheckStatus.warn: "WARN", CheckStatus.failed: "FAIL"}


def register(group: click.Group) -> None:
    """Add the command to ``group``."""
    group.add_command(checklist)


@click.command()
@click.argument("services", nargs=-1)
@click.option("--env", "env", default=None, help="Environment (default: the only one, or prod).")
@click.option("--all", "all_services", is_flag=True, help="Every configured service/environment.")
@click.option("--json", "as_json", is_flag=True, help="Print the documented JSON instead of text.")
@click.option("--post", is_flag=True, help="Also post the result to the environment's checklist channel.")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
@click.option("--parallelism", default=32, show_default=True, help="Checklists run at once.")
@cli_errors
def checklist(
    services: tuple[str, ...],
    env: str | None,
    all_services: bool,
    as_json: bool,
    post: bool,
    strict: bool,
    parallelism: int,
) -> None:
    """Run the five pre-deploy checks for SERVICE... and exit 0 (pass), 1 (fail) or 2 (could not run)."""
    runtime = cli_runtime()
    try:
        if all_services:
            targets = [p.target for p in runtime.deps.catalog.environments]
        elif services:
            targets = [resolve_target(runtime, s, env) for s in services]
        else:
            raise click.UsageError("name at least one SERVICE, or --all")
        runs = run_checklists(runtime.deps, targets=targets, trigger="cli", parallelism=parallelism)
        if post:
            for run in runs:
                post_checklist(runtime.deps, run)
    finally:
        runtime.close()
    code = max((r.report.exit_code(strict=strict) for r in runs), default=EXIT_USAGE)
    click.echo(json.dumps(_json(runs, code), indent=2) if as_json else _text(runs))
    raise SystemExit(code)


def _json(runs: list[ChecklistRun], code: int) -> dict[str, object]:
    return {
        "overall": worst([r.report.overall for r in runs]).value,
        "exit_code": code,
        "reports": [r.report.to_dict() for r in runs],
    }


def _text(runs: list[ChecklistRun]) -> str:
    lines = []
    for run in runs:
        report = run.report
        lines.append(f"{report.target}: {MARK[report.overall]}")
        for result in report.results:
            lines.append(f"  [{MARK[result.status]}] {result.title}: {result.summary}")
            lines.extend(f"      - {e}" for e in result.evidence)
            lines.extend(f"      $ {c}" for c in result.commands)
    return "\n".join(lines)
