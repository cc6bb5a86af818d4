"""What a release rollback touches: every layer of the environment, and the kinds' own states of the items it moves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.kinds import KindName
from bot.domain.releases import Layer, layers_from_json, layers_to_json
from bot.domain.signals import Dimension, Group

VERSION = 1


@dataclass(frozen=True)
class LayerChange:
    """One item the rollback moves, through its kind's own plan: the plan's choice and one of its states.

    In a plan's ``current`` the state is the kind plan's ``current``, in ``desired`` its ``desired`` (each in the
    kind's own JSON form); a capture holds what the kind reads now.
    """

    kind: KindName
    item: str
    choice: str
    state: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """Stored form."""
        return {"kind": self.kind, "item": self.item, "choice": self.choice, "state": self.state}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LayerChange:
        """Inverse of ``to_json``."""
        return cls(KindName(str(data["kind"])), str(data["item"]), str(data["choice"]), dict(data["state"]))


@dataclass(frozen=True)
class ReleaseState:
    """Every layer as read (or as expected after the rollback), and the kinds' states of the items it moves.

    Compared whole: a plan is stale when any layer moved, or when any item it moves moved in any way its own
    kind would call stale (for code: every traffic rule, the active revisions, the latest revision).
    """

    release: int
    layers: tuple[Layer, ...]
    changes: tuple[LayerChange, ...]
    # What the proof after rollback watches: what the first item it moves restores, as its own kind says
    # (the code layer's revision when it moves code).
    proof: Group | None = None

    def to_json(self) -> dict[str, Any]:
        """Versioned JSON."""
        proof = self.proof
        return {
            "v": VERSION,
            "release": self.release,
            "layers": layers_to_json(self.layers),
            "changes": [c.to_json() for c in self.changes],
            "proof": [proof.dimension.value, proof.scope, proof.value] if proof else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReleaseState:
        """Inverse of ``to_json``."""
        if data.get("v") != VERSION:
            raise ValueError(f"not a release state of version {VERSION}: {data.get('v')!r}")
        proof = data.get("proof")
        return cls(
            int(data["release"]),
            layers_from_json(data["layers"]),
            tuple(LayerChange.from_json(c) for c in data["changes"]),
            Group(Dimension(proof[0]), str(proof[1]), str(proof[2])) if proof else None,
        )

    def describe(self) -> str:
        """Every layer in one line."""
        return "; ".join(f"{layer.kind}: {layer.text()}" for layer in self.layers) or "no layers"
