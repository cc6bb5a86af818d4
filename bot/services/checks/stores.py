"""Check 2, embedding and schema: the alias's previous index exists; the server's restore window covers now."""

from __future__ import annotations

import json
from datetime import UTC

from bot.domain.azure import PostgresServerRef, SearchAliasRef
from bot.domain.versions import previous_index
from bot.services.checks.common import CheckContext, Finding, failed, iso_z, passed, warned, when

SEARCH_API_VERSION = "2026-04-01"
_SERVER_NAME_MAX = 63


def embedding_findings(ctx: CheckContext) -> list[Finding]:
    """The alias must map to an index and a previous index of the same family must exist."""
    api, ref = ctx.azure.search, ctx.azure.search_ref
    if api is None or ref is None:
        return []
    current = api.get_alias(ref).index
    if current is None:
        return [failed(f"embedding: alias {ref.alias} maps to no index", f"embedding: alias {ref.alias} → none")]
    indexes = api.list_indexes(ref)
    counts = {i.name: i.document_count for i in indexes}
    now_line = f"embedding: alias {ref.alias} → {current} ({_docs(counts.get(current))})"
    prev = previous_index(current, indexes)
    if prev is None:
        names = ", ".join(sorted(counts)) or "none"
        return [
            failed(
                f"embedding: no previous index next to {current} for alias {ref.alias}",
                now_line,
                f"embedding: indexes on {ref.endpoint}: {names}",
            )
        ]
    prev_line = f"embedding: previous index {prev.name} exists ({_docs(prev.document_count)})"
    commands = _alias_commands(ref, prev.name)
    if prev.document_count == 0:
        return [
            warned(f"embedding: previous index {prev.name} holds no documents", now_line, prev_line, commands=commands)
        ]
    return [passed(now_line, prev_line, commands=commands)]


def _docs(count: int | None) -> str:
    return "document count unknown" if count is None else f"{count} documents"


def _alias_commands(ref: SearchAliasRef, index: str) -> tuple[str, ...]:
    """The alias swap as a REST call and as its Python SDK equivalent."""
    endpoint = ref.endpoint.rstrip("/")
    body = json.dumps({"name": ref.alias, "indexes": [index]}, separators=(",", ":"))
    rest = (
        f"curl -sS -X PUT \"{endpoint}/aliases('{ref.alias}')?api-version={SEARCH_API_VERSION}\" "
        f"-H 'Content-Type: application/json' -H \"api-key: $AZURE_SEARCH_ADMIN_KEY\" -d '{body}'"
    )
    python = (
        f"SearchIndexClient({endpoint!r}, credential).create_or_update_alias("
        f"SearchAlias(name={ref.alias!r}, indexes=[{index!r}]))"
    )
    return rest, python


def schema_findings(ctx: CheckContext) -> list[Finding]:
    """The server must be Ready and its earliest restore point in the past (so a restore to now-ish works)."""
    api, ref = ctx.azure.postgres, ctx.azure.postgres_ref
    if api is None or ref is None:
        return []
    server = api.get_server(ref)
    earliest = server.earliest_restore_date
    window = f"schema: {ref.server} is {server.state or 'state not reported'}; restore window " + (
        f"{when(earliest)} → now" if earliest else "not reported"
    )
    retention = f" (retention {server.backup_retention_days} d)" if server.backup_retention_days else ""
    evidence = (window + retention,)
    commands = (_restore_command(ctx, ref),)
    if server.state != "Ready":
        return [failed(f"schema: {ref.server} is {server.state or 'in an unknown state'}, not Ready", *evidence)]
    if earliest is None:
        return [failed(f"schema: {ref.server} reports no earliest restore point", *evidence)]
    if earliest > ctx.now:
        return [failed(f"schema: {ref.server}'s earliest restore point {when(earliest)} is in the future", *evidence)]
    note = "schema: point-in-time restore creates a NEW server; set --restore-time to just before the bad change"
    return [passed(*evidence, note, commands=commands)]


def _restore_command(ctx: CheckContext, ref: PostgresServerRef) -> str:
    suffix = f"-pitr-{ctx.now.astimezone(UTC):%Y%m%d%H%M}"
    new_name = ref.server[: _SERVER_NAME_MAX - len(suffix)] + suffix
    return (
        f"az postgres flexible-server restore --resource-group {ref.resource_group} --name {new_name} "
        f"--source-server {ref.server} --restore-time {iso_z(ctx.now)}"
    )
