"""What an embedding rollback touches: which index the search alias maps to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.releases import LayerItem

VERSION = 1


@dataclass(frozen=True)
class AliasTarget:
    """The alias and its one index (None: it maps to none)."""

    alias: str
    index: str | None

    def to_json(self) -> dict[str, Any]:
        """Versioned JSON."""
        return {"v": VERSION, "alias": self.alias, "index": self.index}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AliasTarget:
        """Inverse of ``to_json``."""
        if data.get("v") != VERSION:
            raise ValueError(f"not an embedding state of version {VERSION}: {data.get('v')!r}")
        index = data.get("index")
        return cls(str(data["alias"]), str(index) if index is not None else None)

    def describe(self) -> str:
        """``alias drugs → drugs-v1``."""
        return f"alias {self.alias} → {self.index or 'no index'}"

    def layer_item(self) -> LayerItem:
        """This alias as the item of a release's embedding layer (planned back by pointing it at that index)."""
        return LayerItem(self.alias, self.index or "none", self.describe(), self.index)
