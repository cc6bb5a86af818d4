"""Releases: the state of every layer of one service/environment at a moment, and what moved since.

A release holds, per layer (one per kind that takes part: code, prompt, model, embedding, schema), the
*items* that layer is made of — a container app's serving revisions, one prompt's active version, one
model deployment's model and version, an alias's index, the migration head. Each item carries the value
releases compare, a text for people, the plan choice that brings it back, and a warning that is shown but
never compared (e.g. "Azure may move this deployment by itself").
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.kinds import KindName
from bot.domain.rollback_requests import ServiceEnv

LAYERS_VERSION = 1


class ReleaseStatus(StrEnum):
    """What people (or the deploy guard) said about a release."""

    good = "good"
    bad = "bad"
    unknown = "unknown"


@dataclass(frozen=True)
class LayerItem:
    """One thing a layer holds, as read at one moment.

    ``value`` identifies its state (what releases compare: two items are equal when their names and values are);
    ``text`` is how people read it; ``target`` is the kind's plan choice that brings it back to this state (None:
    the bot cannot plan it); ``warning`` is shown, never compared.
    """

    name: str
    value: str
    text: str = field(compare=False)
    target: str | None = field(default=None, compare=False)
    warning: str = field(default="", compare=False)

    def to_json(self) -> dict[str, Any]:
        """Stored form."""
        data = {"name": self.name, "value": self.value, "text": self.text}
        return {**data, "target": self.target, "warning": self.warning}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LayerItem:
        """Inverse of ``to_json``."""
        target = data.get("target")
        return cls(
            str(data["name"]),
            str(data["value"]),
            str(data.get("text", data["value"])),
            str(target) if target is not None else None,
            str(data.get("warning", "")),
        )


@dataclass(frozen=True)
class Layer:
    """One kind's part of a release: its items, in the order the kind reads them."""

    kind: KindName
    items: tuple[LayerItem, ...]

    def item(self, name: str) -> LayerItem | None:
        """The item called ``name``, if the layer holds one."""
        return next((i for i in self.items if i.name == name), None)

    def text(self) -> str:
        """Every item, in one line."""
        return "; ".join(i.text for i in self.items) or "nothing"

    def to_json(self) -> dict[str, Any]:
        """Stored form."""
        return {"kind": self.kind, "items": [i.to_json() for i in self.items]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Layer:
        """Inverse of ``to_json``."""
        return cls(KindName(str(data["kind"])), tuple(LayerItem.from_json(i) for i in data.get("items", ())))


def layers_to_json(layers: Sequence[Layer]) -> dict[str, Any]:
    """The stored form of a release's layers (versioned)."""
    return {"v": LAYERS_VERSION, "layers": [layer.to_json() for layer in layers]}


def layers_from_json(data: Mapping[str, Any]) -> tuple[Layer, ...]:
    """Inverse of ``layers_to_json``.

    Raises:
        ValueError: not layers of a version this bot reads.
    """
    if data.get("v") != LAYERS_VERSION:
        raise ValueError(f"not release layers of version {LAYERS_VERSION}: {data.get('v')!r}")
    return tuple(Layer.from_json(layer) for layer in data["layers"])


@dataclass(frozen=True)
class NewRelease:
    """What recording a release stores."""

    target: ServiceEnv
    recorded_at: datetime
    source: str  # deploy | cli | rollback | sandbox …: who took the snapshot, in one word
    actor: str
    note: str
    layers: tuple[Layer, ...]
    status: ReleaseStatus = ReleaseStatus.unknown


@dataclass(frozen=True)
class Release:
    """A recorded release (its id is global; ``#N`` everywhere people see it)."""

    id: int
    target: ServiceEnv
    recorded_at: datetime
    source: str
    actor: str
    note: str
    status: ReleaseStatus
    layers: tuple[Layer, ...]
    marked_by: str | None = None
    marked_at: datetime | None = None

    def layer(self, kind: KindName) -> Layer | None:
        """The layer of ``kind``, if the release holds one."""
        return next((layer for layer in self.layers if layer.kind == kind), None)

    @property
    def label(self) -> str:
        """``release #7 (good, 2026-11-26 09:00 UTC, deploy 1.4.2)``."""
        note = f", {self.note}" if self.note else ""
        return f"release #{self.id} ({self.status.value}, {self.recorded_at:%Y-%m-%d %H:%M} UTC{note})"


@dataclass(frozen=True)
class ItemDiff:
    """One item whose live value is not the recorded one (either side may be missing)."""

    kind: KindName
    name: str
    live: LayerItem | None
    recorded: LayerItem | None

    @property
    def live_text(self) -> str:
        """How the item reads now."""
        return self.live.text if self.live else f"{self.name}: not there"

    @property
    def recorded_text(self) -> str:
        """How the item reads in the release."""
        return self.recorded.text if self.recorded else f"{self.name}: not in the release"

    def key(self, release_id: int) -> str:
        """A stable fingerprint of this drift from ``release_id`` (the same drift, the same key, on every replica)."""
        live = self.live.value if self.live else "-"
        raw = f"{release_id}|{self.kind}|{self.name}|{live}"
        return hashlib.sha256(raw.encode()).hexdigest()[:40]


def differences(live: Sequence[Layer], recorded: Sequence[Layer]) -> tuple[ItemDiff, ...]:
    """The items of the layers both sides hold whose values differ, in ``live``'s order.

    A layer only one side holds (a kind configured after the release, or no longer configured) is not
    compared. An item only one side holds (a new prompt, a removed deployment) is a difference.
    """
    by_kind = {layer.kind: layer for layer in recorded}
    found: list[ItemDiff] = []
    for now in live:
        then = by_kind.get(now.kind)
        if then is None:
            continue
        names = list(dict.fromkeys([*(i.name for i in now.items), *(i.name for i in then.items)]))
        for name in names:
            a, b = now.item(name), then.item(name)
            if a is None or b is None or a.value != b.value:
                found.append(ItemDiff(now.kind, name, a, b))
    return tuple(found)


def warnings_of(layers: Sequence[Layer]) -> tuple[str, ...]:
    """Every item's warning (e.g. a model deployment Azure may upgrade by itself)."""
    return tuple(i.warning for layer in layers for i in layer.items if i.warning)


@dataclass(frozen=True)
class DriftReport:
    """Live state against the newest release: what moved, what to watch, what could not be read."""

    target: ServiceEnv
    release: Release | None
    diffs: tuple[ItemDiff, ...] = ()
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    last_good: Release | None = None

    @property
    def drifted(self) -> bool:
        """Some layer moved away from the newest release."""
        return bool(self.diffs)

    @property
    def exit_code(self) -> int:
        """0 equal, 1 drift, 2 could not run (no release yet, or a layer could not be read and none moved)."""
        if self.drifted:
            return 1
        return 2 if self.release is None or self.errors else 0

    @property
    def kinds(self) -> tuple[KindName, ...]:
        """The layers that drifted, in order."""
        return tuple(dict.fromkeys(d.kind for d in self.diffs))
