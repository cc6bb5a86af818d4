"""Schema rollbacks, planned: a point-in-time restore into a NEW server, and whether the window allows it."""

from __future__ import annotations

from datetime import datetime

from bot.domain.azure import PostgresServerRef
from bot.domain.findings import Finding, failed, passed, when
from bot.kinds.schema.pitr import restore_cli, restored_name
from bot.ports.azure import PostgresApi


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
    """Point-in-time restore of the server as it was ``now`` into a NEW server (never in place), named as the bot
    names the servers it restores."""
    return restore_cli(ref, restored_name(ref.server, now), now)
