"""Point-in-time restore into a NEW server, executed: planned inside the restore window, started, followed.

The new server is ``<server>-restored-<yyyymmddhhmm>`` (the restore point's minute), so re-planning gives the
same name and a replica that takes the execution over finds the server being created and follows it instead of
starting another restore. The source server is only ever read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from bot.domain.azure import PostgresServerRef, PostgresServerState
from bot.domain.findings import duration, iso_z, when
from bot.domain.kinds import SCHEMA
from bot.domain.plan import Choice, Plan, StepResult
from bot.errors import AzureOperationError, UsageError
from bot.kinds.base import before_write
from bot.kinds.schema.follow import follow
from bot.kinds.schema.handle import Pace
from bot.kinds.schema.state import RESTORE, SchemaState
from bot.ports.azure import PostgresApi

PREFIX = "restore:"
BEFORE_RELEASE = timedelta(minutes=5)
_SERVER_NAME_MAX = 63
_GONE = frozenset({"Dropping", "Disabled", "Failed"})


def restored_name(server: str, point: datetime) -> str:
    """``<server>-restored-<yyyymmddhhmm>`` (shortened to Azure's 63 characters)."""
    suffix = f"-restored-{point.astimezone(UTC):%Y%m%d%H%M}"
    return server[: _SERVER_NAME_MAX - len(suffix)] + suffix


def restored_key(name: str) -> str:
    """What a restore makes and its cut-over continues (``Plan.produces`` / ``Plan.follows``)."""
    return f"restored:{name}"


def parse_point(value: str) -> datetime:
    """A restore point from a choice (ISO-8601, with a time zone)."""
    try:
        point = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{value!r} is not a restore point; give an ISO-8601 time such as 2026-05-08T14:25:00Z"
        ) from None
    if point.tzinfo is None:
        raise UsageError("a restore point needs a time zone, e.g. 2026-05-08T14:25:00Z")
    return point


def window_text(server: PostgresServerState, now: datetime) -> str:
    earliest = server.earliest_restore_date
    return f"{when(earliest)} → {when(now)}" if earliest else "not reported by Azure"


def restore_cli(ref: PostgresServerRef, name: str, point: datetime) -> str:
    """The exact ``az`` equivalent: a NEW server from the source as it was at ``point``."""
    return (
        f"az postgres flexible-server restore --resource-group {ref.resource_group} --name {name} "
        f"--source-server {ref.server} --restore-time {iso_z(point)}"
    )


def plan_restore(
    api: PostgresApi,
    ref: PostgresServerRef,
    point: datetime,
    *,
    label: str,
    now: datetime,
    pace: Pace,
    choices: tuple[Choice, ...],
) -> Plan[SchemaState]:
    """A restore to ``point`` into a new server; refused outside the restore window, saying the window."""
    source = api.get_server(ref)
    name = restored_name(ref.server, point)
    choice = PREFIX + iso_z(point)
    current = SchemaState(RESTORE, name, None)
    earliest = source.earliest_restore_date
    if earliest is None or not earliest <= point <= now:
        return Plan.blocked(
            SCHEMA,
            f"The restore point {when(point)} is outside the restore window of {ref.server} "
            f"({window_text(source, now)}); choose a point inside it.",
            current=current,
            current_text=f"{ref.server} ({source.state or 'state not reported'})",
            choice=choice,
            choices=choices,
            commands=(restore_cli(ref, name, point),),
        )
    existing = api.find_server(ref, name)
    if existing is not None:
        return Plan.blocked(
            SCHEMA,
            f"A server called {name} already exists ({existing.state or 'state not reported'}): a restore to this "
            "point was made already. Cut over to it, or choose another point.",
            current=SchemaState(RESTORE, name, existing.state),
            current_text=f"{name} ({existing.state or 'state not reported'})",
            choice=choice,
            choices=choices,
        )
    lost = now - point
    return Plan(
        kind=SCHEMA,
        choice=choice,
        current=current,
        desired=SchemaState(RESTORE, name, "Ready"),
        current_text=f"{ref.server} ({source.state or 'not reported'}), restore window {window_text(source, now)}",
        desired_text=f"a NEW server {name}: {ref.server} as it was at {when(point)} ({label})",
        commands=(restore_cli(ref, name, point),),
        risks=(
            f"Data-loss window: everything written to {ref.server} after {when(point)} — {duration(lost)} of writes "
            f"so far, and every write until the cut-over — is not in {name}. {ref.server} keeps it: the bot never "
            "deletes or changes it.",
            f"A restore takes minutes to hours; the bot follows it for up to {duration(pace.restore_timeout)}.",
            "The application keeps using the old server until a cut-over request (approved by someone else) "
            "points it at the new one.",
        ),
        steps=(
            f"create {name} from {ref.server} at {iso_z(point)} (point-in-time restore)",
            f"follow it until Ready, posting progress every {duration(pace.progress_every)}",
            f"check {name} is Ready and {ref.server} is untouched",
        ),
        choices=choices,
        produces=restored_key(name),
        note=(
            f"Data-loss window: writes to {ref.server} after {when(point)} are not in the new server {name}; "
            f"{ref.server} is kept unchanged. Cut over with /rollback → schema → point the app at {name}."
        ),
    )


def run_restore(
    api: PostgresApi, ref: PostgresServerRef, plan: Plan[SchemaState], pace: Pace, now: Callable[[], datetime]
) -> Iterator[StepResult]:
    """Start the restore (or re-attach to the server being created) and follow it until Ready, within the bound
    counted from when the restore began (a re-attached one has had part of it already)."""
    assert plan.desired is not None
    name = plan.desired.subject
    point = parse_point(plan.choice.removeprefix(PREFIX))
    started = time.monotonic()
    live = api.find_server(ref, name)
    bound = pace.restore_timeout
    if live is not None and live.created is not None:
        bound = max(timedelta(0), pace.restore_timeout - (now() - live.created))
    if live is None:
        before_write()
        api.start_restore(ref, target_server=name, point_in_time=point)
        detail = f"restore of {ref.server} at {iso_z(point)} into the new server {name} started"
        yield StepResult("start the restore", True, round(time.monotonic() - started, 3), detail, {"server": name})
        yield StepResult("restore", True, 0.0, f"Restore into {name} started (restore point {when(point)}).", {}, True)
    else:
        detail = f"{name} is being created already ({live.state or 'state not reported'}): following it"
        yield StepResult("re-attach to the restore", True, 0.0, detail, {"server": name})
        yield StepResult("restore", True, 0.0, f"Re-attached to the restore into {name} ({live.state}).", {}, True)
    check = f"az postgres flexible-server show --resource-group {ref.resource_group} --name {name} --query state"
    done = yield from follow(
        f"restore into {name}",
        lambda: api.find_server(ref, name),
        lambda s: s is None or s.state == "Ready" or s.state in _GONE,
        lambda s: (s.state or "state not reported") if s else "gone",
        timeout=bound,
        bound_text=f"{duration(pace.restore_timeout)} since it began",
        poll_seconds=pace.poll_seconds,
        progress_every=pace.progress_every,
        check=check,
    )
    if done is None or done.state != "Ready":
        state = done.state if done else "gone (Azure removed it)"
        raise AzureOperationError(
            f"The restore into {name} failed: the new server is {state}. {ref.server} was not touched.",
            operation="restore to a new server",
            resource=name,
        )
    yield StepResult(
        "restore",
        True,
        round(time.monotonic() - started, 3),
        f"{name} is Ready ({done.fqdn or 'no host reported'})",
        {"server": name, "fqdn": done.fqdn},
    )


def verify_restore(api: PostgresApi, ref: PostgresServerRef, plan: Plan[SchemaState]) -> tuple[StepResult, ...]:
    """The new server is Ready; the source is still there, still Ready."""
    assert plan.desired is not None
    name = plan.desired.subject
    new = api.find_server(ref, name)
    source = api.get_server(ref)
    ok_new = new is not None and new.state == "Ready"
    host = new.fqdn if new is not None and new.fqdn else f"{name}.postgres.database.azure.com"
    new_detail = f"{name} is {new.state if new else 'missing'} at {host}" + (
        f"; next: cut over with /rollback → schema → point the app at {name} (approved by someone else)"
        if ok_new
        else ""
    )
    return (
        StepResult("new server", ok_new, 0.0, new_detail),
        StepResult("old server", source.state == "Ready", 0.0, f"{ref.server} is {source.state} and kept as it was"),
    )
