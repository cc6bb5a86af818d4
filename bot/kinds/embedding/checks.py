"""Check 2, embedding: the alias maps to an index and a previous index of the same family exists."""

from __future__ import annotations

import json

from bot.domain.azure import SearchAliasRef
from bot.domain.findings import Finding, failed, passed, warned
from bot.domain.versions import previous_index
from bot.ports.azure import SearchApi

SEARCH_API_VERSION = "2026-04-01"


def embedding_findings(api: SearchApi, ref: SearchAliasRef) -> list[Finding]:
    """The alias must map to an index and a previous index of the same family must exist."""
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
    commands = alias_commands(ref, prev.name)
    if prev.document_count == 0:
        return [
            warned(f"embedding: previous index {prev.name} holds no documents", now_line, prev_line, commands=commands)
        ]
    return [passed(now_line, prev_line, commands=commands)]


def _docs(count: int | None) -> str:
    return "document count unknown" if count is None else f"{count} documents"


def alias_commands(ref: SearchAliasRef, index: str) -> tuple[str, ...]:
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
