"""``SearchApi`` over azure-search-documents 12 (GA, api-version 2026-04-01): index aliases and index stats."""

from __future__ import annotations

from azure.search.documents.indexes import SearchIndexClient
from azure.search.documents.indexes.models import SearchAlias

from bot.adapters.azure.clients import AzureClients
from bot.adapters.azure.errors import Call, translate
from bot.adapters.azure.snapshot import snapshot_read
from bot.domain.azure import IndexInfo, SearchAliasRef, SearchAliasState
from bot.errors import UsageError
from bot.ports.azure import SearchApi

ROLE = "Search Service Contributor"


class AzureSearchApi(SearchApi):
    """AI Search aliases through ``SearchIndexClient`` (Entra ID token, or an admin key when configured)."""

    def __init__(self, *, clients: AzureClients, api_key: str | None = None) -> None:
        self._clients = clients
        self._api_key = api_key
        self._by_endpoint: dict[str, SearchIndexClient] = {}

    def _client(self, ref: SearchAliasRef) -> SearchIndexClient:
        """One SDK client per search service, built on first use."""
        if ref.endpoint not in self._by_endpoint:
            self._by_endpoint[ref.endpoint] = self._clients.search_index(ref.endpoint, self._api_key)
        return self._by_endpoint[ref.endpoint]

    @snapshot_read
    def get_alias(self, ref: SearchAliasRef) -> SearchAliasState:
        """Read which index the alias points at."""
        with translate(_call("read the alias", ref, "search alias", ref.alias, "read")):
            alias = self._client(ref).get_alias(ref.alias)
        return _alias(alias)

    def set_alias(self, ref: SearchAliasRef, index: str) -> SearchAliasState:
        """Replace the alias definition so it maps to ``index`` (PUT /aliases/{alias})."""
        if not index.strip():
            raise UsageError("name the index the alias should point at")
        with translate(_call("point the alias at an index", ref, "search alias", ref.alias, "write")):
            alias = self._client(ref).create_or_update_alias(SearchAlias(name=ref.alias, indexes=[index]))
        return _alias(alias)

    @snapshot_read
    def list_indexes(self, ref: SearchAliasRef) -> list[IndexInfo]:
        """List the service's indexes, each with its document count."""
        client = self._client(ref)
        with translate(_call("list indexes", ref, "search service", ref.endpoint, "indexes/read")):
            names = list(client.list_index_names())
        return [self._index_info(client, ref, name) for name in names]

    def _index_info(self, client: SearchIndexClient, ref: SearchAliasRef, name: str) -> IndexInfo:
        """One index and its document count (from the index statistics)."""
        with translate(_call("read index statistics", ref, "search index", name, "indexes/read")):
            stats = client.get_index_statistics(name)
        return IndexInfo(name=name, document_count=stats.document_count)


def _call(operation: str, ref: SearchAliasRef, kind: str, resource: str, action: str) -> Call:
    """The context of one AI Search call; data-plane permissions are named by their RBAC action."""
    area = "aliases" if kind == "search alias" else "indexes"
    permission = f"Microsoft.Search/searchServices/{area}/{action.rsplit('/', 1)[-1]}"
    return Call(operation, kind, resource, permission, ref.endpoint, ROLE)


def _alias(alias: SearchAlias) -> SearchAliasState:
    """The domain view of an SDK alias."""
    return SearchAliasState(alias=alias.name, indexes=tuple(alias.indexes or ()))
