"""What a prompt rollback touches: one prompt's active-version pointer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
