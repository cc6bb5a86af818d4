"""Check 4: the newest completed backup is recent, the earliest restore point covers the window, and whether the
restore window still reaches back to the last good release (a restore to just before it is possible)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain.azure import Backup, PostgresServerRef
from bot.domain.findings import Finding, combine, duration, failed, passed, warned, when
from bot.domain.readiness import CheckKey, CheckResult, CheckStatus
from bot.ports.azure import PostgresApi

KEY = CheckKey.backup
BEFORE_RELEASE = timedelta(minutes=5)  # a restore goes to 5 min before a release


@dataclass(frozen=True)
class _Window:
    now: datetime
    backup_max_age: timedelta


def check_backup(
    api: PostgresApi,
    ref: PostgresServerRef,
    now: datetime,
    backup_max_age: timedelta,
    *,
    last_good: datetime | None = None,
    last_good_label: str = "",
) -> CheckResult:
    """Fail without a backup younger than ``backup_max_age``; warn when the restore window is shorter than it, or
    when it no longer reaches back to the last good release (``last_good``: when it was recorded)."""
    ctx = _Window(now, backup_max_age)
    completed = [b for b in api.list_backups(ref) if b.completed_time is not None]
    server = api.get_server(ref)
    findings = [_newest(ctx, completed), _window(ctx, server.earliest_restore_date, server.backup_retention_days)]
    findings.append(_covers(server.earliest_restore_date, last_good, last_good_label))
    covers = f" and to the last good {last_good_label}" if last_good is not None else ""
    result = combine(
        KEY, findings, ok_summary=f"a recent backup, and a restore window that reaches back past it{covers}."
    )
    commands = _commands(ctx, ref, with_create=result.status is CheckStatus.failed)
    return CheckResult(KEY, result.status, f"{ref.server}: {result.summary}", result.evidence, commands)


def _newest(ctx: _Window, completed: list[Backup]) -> Finding:
    limit = duration(ctx.backup_max_age)
    if not completed:
        return failed("no completed backup", "newest completed backup: none")
    newest = max(completed, key=lambda b: b.completed_time or ctx.now)
    taken = newest.completed_time or ctx.now
    age = ctx.now - taken
    kind = ", ".join(x for x in (newest.type, newest.source) if x)
    line = f"newest completed backup: {newest.name} at {when(taken)} ({duration(age)} ago{', ' + kind if kind else ''})"
    count = f"completed backups: {len(completed)}"
    if age > ctx.backup_max_age:
        return failed(f"newest completed backup is {duration(age)} old (limit {limit})", line, count)
    return passed(line, count)


def _window(ctx: _Window, earliest: datetime | None, retention: int | None) -> Finding:
    limit = duration(ctx.backup_max_age)
    kept = f" (retention {retention} d)" if retention else ""
    if earliest is None:
        return warned("earliest restore point not reported", f"earliest restore point: not reported{kept}")
    line = f"earliest restore point: {when(earliest)}{kept}"
    if earliest > ctx.now - ctx.backup_max_age:
        return warned(f"earliest restore point {when(earliest)} does not reach back {limit}", line)
    return passed(line)


def _covers(earliest: datetime | None, last_good: datetime | None, label: str) -> Finding:
    """Whether a point-in-time restore can go back to just before the last good release."""
    if last_good is None:
        return passed("restore window vs. the last good release: no release is marked good yet")
    if earliest is None:
        return warned(
            f"cannot tell whether the restore window covers the last good {label}",
            f"last good {label} at {when(last_good)}; earliest restore point not reported",
        )
    if earliest > last_good - BEFORE_RELEASE:
        return warned(
            f"the restore window (from {when(earliest)}) no longer covers the last good {label} at {when(last_good)}",
            f"a restore to before {label} is no longer possible; only a down-migration can go back that far",
        )
    return passed(f"the restore window (from {when(earliest)}) covers the last good {label} at {when(last_good)}")


def _commands(ctx: _Window, ref: PostgresServerRef, *, with_create: bool) -> tuple[str, ...]:
    """How a person verifies (and, on failure, takes an on-demand backup); az ≥ 2.86 flag names."""
    rg, server = ref.resource_group, ref.server
    cmds = [
        f"az postgres flexible-server backup list --resource-group {rg} --server-name {server}",
        f"az postgres flexible-server show --resource-group {rg} --name {server} --query backup",
    ]
    if with_create:
        cmds.append(
            f"az postgres flexible-server backup create --resource-group {rg} --server-name {server} "
            f"--name manual-{ctx.now.astimezone(UTC):%Y%m%d-%H%M}"
        )
    return tuple(cmds)
