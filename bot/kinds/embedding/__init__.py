"""The ``embedding`` kind: point the search alias back at the index built with the previous embedding model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.azure import SearchAliasRef
from bot.domain.kinds import EMBEDDING
from bot.kinds.base import BoundKind, Kind, KindServices
from bot.kinds.embedding.executor import AliasSwap
from bot.kinds.embedding.state import AliasTarget
from bot.ports.azure import SearchApi

__all__ = ["KIND", "AliasTarget", "EmbeddingKind", "SearchHandle"]


@dataclass(frozen=True)
class SearchHandle:
    """The embedding kind bound to one AI Search service and the alias the application queries."""

    api: SearchApi
    ref: SearchAliasRef


class EmbeddingKind(Kind[SearchHandle]):
    """AI Search aliases: moved back to the previous index."""

    name = EMBEDDING
    key = "search"
    title = "AI Search"
    component = "AI Search alias"

    def bind(self, handle: SearchHandle, services: KindServices) -> BoundKind[Any]:
        return AliasSwap(handle.api, handle.ref)

    def decode_state(self, data: Mapping[str, Any]) -> AliasTarget:
        return AliasTarget.from_json(data)


KIND = EmbeddingKind()
