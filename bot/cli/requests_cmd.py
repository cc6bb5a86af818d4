"""`rollback-bot requests list|show|close`: the record of rollback requests, their audit trail, and closing one."""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

import click

from bot.cli.common import cli_errors, cli_runtime
from bot.domain.rollback_requests import RollbackRequest, ServiceEnv
from bot.services.operators import close_request
from bot.text import iso_time


def register(group: click.Group) -> None:
    """Add the command group to ``group``."""
    group.add_command(requests)


@click.group()
def requests() -> None:
    """Rollback requests and what happened to them."""


def _row(r: RollbackRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "target": str(r.target),
        "kind": r.kind,
        "status": r.status.value,
        "drill": r.is_drill,
        "requester": r.requester_id,
        "approver": r.approver_id,
        "created_at": r.created_at.isoformat(),
        "decided_at": r.decided_at.isoformat() if r.decided_at else None,
        "reason": r.reason,
        "current": r.plan.get("current_text"),
        "desired": r.plan.get("desired_text"),
        "result": r.result,
    }


@requests.command("list")
@click.option("--service", default=None, help="Only this service (with --env, only that environment).")
@click.option("--env", "env", default=None)
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@cli_errors
def list_requests(service: str | None, env: str | None, limit: int, as_json: bool) -> None:
    """Most recent requests first."""
    runtime = cli_runtime()
    try:
        target: ServiceEnv | None = runtime.deps.catalog.resolve(service, env).target if service else None
        rows = [_row(r) for r in runtime.deps.requests.list_recent(target=target, limit=limit)]
    finally:
        runtime.close()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        created = iso_time(datetime.fromisoformat(row["created_at"]))
        click.echo(
            f"#{row['id']:<5} {created} {row['target']:<24} {row['kind']:<9} {row['status']:<10}"
            f" by {row['requester']} → {row['approver'] or '-'}"
        )


@requests.command("show")
@click.argument("request_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@cli_errors
def show_request(request_id: int, as_json: bool) -> None:
    """One request with its plan and its audit trail."""
    runtime = cli_runtime()
    try:
        request = runtime.deps.requests.get(request_id)
        events: list[dict[str, Any]] = [
            {"at": e.at.isoformat(), "event": e.event, "actor": e.actor, "detail": e.detail}
            for e in runtime.deps.audit.list(request_id=request_id, limit=1000)
        ]
    finally:
        runtime.close()
    data = {**_row(request), "plan": request.plan, "audit": events}
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    click.echo(f"#{request.id} {request.target} {request.kind} {request.status.value}")
    click.echo(f"  {data['current']} → {data['desired']}")
    click.echo(f"  reason: {request.reason}")
    for command in request.plan.get("commands", []):
        click.echo(f"  $ {command}")
    for event in events:
        click.echo(f"  {event['at'][:19]} {event['event']:<28} {event['actor']}")


@requests.command("close")
@click.argument("request_id", type=int)
@click.option("--reason", required=True, help="Why it is closed (kept in the request and its audit trail).")
@cli_errors
def close(request_id: int, reason: str) -> None:
    """Close a request in flight that must not run (or be resumed): pending or approved → cancelled,
    executing → failed. Audited; its card says so. Refused while a replica is executing it (live lease)."""
    runtime = cli_runtime()
    try:
        actor = f"cli:{os.environ.get('USER', 'unknown')}"
        closed = close_request(runtime.deps, request_id=request_id, reason=reason, actor=actor)
    finally:
        runtime.close()
    click.echo(f"#{closed.id} {closed.target} {closed.kind}: {closed.status.value} ({closed.result.get('note')})")
