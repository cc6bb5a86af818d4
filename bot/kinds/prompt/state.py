"""What a prompt rollback touches: one prompt's active-version pointer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.releases import LayerItem

VERSION = 1


@dataclass(frozen=True)
class PromptPointer:
    """Which version of ``prompt`` is active (None: none is)."""

    prompt: str
    active: int | None

    def to_json(self) -> dict[str, Any]:
        """Versioned JSON."""
        return {"v": VERSION, "prompt": self.prompt, "active": self.active}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PromptPointer:
        """Inverse of ``to_json``."""
        if data.get("v") != VERSION:
            raise ValueError(f"not a prompt state of version {VERSION}: {data.get('v')!r}")
        active = data.get("active")
        return cls(prompt=str(data["prompt"]), active=int(active) if active is not None else None)

    def describe(self) -> str:
        """``drug_info v4 active`` or ``drug_info: no active version``."""
        return (
            f"{self.prompt} v{self.active} active" if self.active is not None else f"{self.prompt}: no active version"
        )

    def layer_item(self) -> LayerItem:
        """This pointer as an item of a release's prompt layer (planned back by re-activating that version)."""
        target = f"{self.prompt}@{self.active}" if self.active is not None else None
        value = f"v{self.active}" if self.active is not None else "none"
        return LayerItem(self.prompt, value, self.describe(), target)
