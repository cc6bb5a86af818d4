"""The ``embedding`` kind: point the search alias back at the index built with the previous embedding model."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.azure import SearchAliasRef
from bot.domain.kinds import EMBEDDING
from bot.kinds.base import Kind
from bot.kinds.embedding.executor import AliasSwap
from bot.kinds.embedding.state import AliasTarget
from bot.ports.azure import SearchApi

__all__ = ["KIND", "AliasTarget", "SearchHandle"]


@dataclass(frozen=True)
class SearchHandle:
    """The embedding kind bound to one AI Search service and the alias the application queries."""

    api: SearchApi
    ref: SearchAliasRef


KIND: Kind[SearchHandle] = Kind(
    name=EMBEDDING,
    key="search",
    title="AI Search",
    component="AI Search alias",
    bind=lambda handle, services: AliasSwap(handle.api, handle.ref),
    decode=AliasTarget.from_json,
)
