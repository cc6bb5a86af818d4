"""The embedding kind at the edge: its ``search:`` block and the AI Search adapter bound to it."""

from __future__ import annotations

from pydantic import Field

from bot.adapters.azure.search import AzureSearchApi
from bot.domain.azure import SearchAliasRef
from bot.kinds.edge import BindContext, ConfigBlock, KindPlugin, MaySecret, NonEmpty
from bot.kinds.embedding import KIND, SearchHandle


class SearchConfig(ConfigBlock):
    """An Azure AI Search service and the alias the application queries."""

    endpoint: str = Field(pattern=r"^https://")
    alias: NonEmpty
    api_key: MaySecret | None = None

    def endpoints(self) -> tuple[str, ...]:
        return (self.endpoint,)


def bind(block: SearchConfig, ctx: BindContext) -> SearchHandle:
    """The AI Search port (admin key when configured, else Entra ID)."""
    return SearchHandle(
        api=AzureSearchApi(clients=ctx.azure_clients(), api_key=block.api_key.reveal() if block.api_key else None),
        ref=SearchAliasRef(block.endpoint, block.alias),
    )


PLUGIN = KindPlugin(kind=KIND, block=SearchConfig, bind=bind)
