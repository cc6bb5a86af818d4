"""Schema rollbacks, planned: a point-in-time restore into a NEW server, and whether the window allows it."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.azure import PostgresServerRef
from bot.domain.findings import Finding, failed, iso_z, passed, when
from bot.ports.azure import PostgresApi

_SERVER_NAME_MAX = 63


def schema_findings(api: PostgresApi, ref: PostgresServerRef, now: datetime) -> list[Finding]:
    """The server must be Ready and its earliest restore point in the past (so a restore to now-ish works)."""
    server = api.get_server(ref)
    earliest = server.earliest_restore_date
    window = f"schema: {ref.server} is {server.state or 'state not reported'}; restore window " + (
        f"{when(earliest)} → now" if earliest else "not reported"
    )
    retention = f" (retention {server.backup_retention_days} d)" if server.backup_retention_days else ""
    evidence = (window + retention,)
    commands = (restore_command(ref, now),)
    if server.state != "Ready":
        return [failed(f"schema: {ref.server} is {server.state or 'in an unknown state'}, not Ready", *evidence)]
    if earliest is None:
        return [failed(f"schema: {ref.server} reports no earliest restore point", *evidence)]
    if earliest > now:
        return [failed(f"schema: {ref.server}'s earliest restore point {when(earliest)} is in the future", *evidence)]
    note = "schema: point-in-time restore creates a NEW server; set --restore-time to just before the bad change"
    return [passed(*evidence, note, commands=commands)]


def restore_command(ref: PostgresServerRef, now: datetime) -> str:
    """Point-in-time restore of the server as it was ``now`` into a NEW server (never in place)."""
    suffix = f"-pitr-{now.astimezone(UTC):%Y%m%d%H%M}"
    new_name = ref.server[: _SERVER_NAME_MAX - len(suffix)] + suffix
    return (
        f"az postgres flexible-server restore --resource-group {ref.resource_group} --name {new_name} "
        f"--source-server {ref.server} --restore-time {iso_z(now)}"
    )
