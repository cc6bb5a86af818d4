"""The release kind's live state: every layer now against the last good release (App Home, status)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.domain.facts import Facts
from bot.domain.kinds import KindName
from bot.domain.releases import ItemDiff, Layer, Release, ReleaseStatus, differences, warnings_of
from bot.kinds.base import LiveState
from bot.kinds.layers import read_layers
from bot.kinds.release.handle import ReleaseHandle


@dataclass(frozen=True)
class LastGood:
    """Live layers, the newest and the last good release, and what differs from the last good one."""

    live: tuple[Layer, ...]
    newest: Release | None
    last_good: Release | None
    diffs: tuple[ItemDiff, ...] = ()
    problems: dict[KindName, str] = field(default_factory=dict)


def last_good_view(h: ReleaseHandle) -> LastGood:
    """Read every layer and compare it with the newest good release."""
    newest = h.releases.latest(h.target)
    good = h.releases.latest(h.target, status=ReleaseStatus.good) if newest is not None else None
    live, problems = read_layers(h.layers)
    diffs = differences(live, good.layers) if good is not None else ()
    return LastGood(live, newest, good, diffs, problems)


class ReleaseLive(LiveState):
    """Per layer item: how it reads now, how it read in the last good release, and whether they differ."""

    def __init__(self, view: LastGood) -> None:
        self.view = view

    def _rows(self) -> list[tuple[KindName, str, str, str]]:
        good = self.view.last_good
        rows = []
        for layer in self.view.live:
            then = good.layer(layer.kind) if good else None
            for item in layer.items:
                was = then.item(item.name) if then else None
                if then is None:
                    rows.append((layer.kind, item.text, "-", "not recorded"))
                else:
                    same = was is not None and was.value == item.value
                    rows.append((layer.kind, item.text, was.text if was else "-", "same" if same else "DIFFERS"))
        return rows

    def facts(self) -> Facts:
        view = self.view
        if view.newest is None:
            headline = "no release recorded yet (`rollback-bot release record SERVICE --env ENV`)"
        elif view.last_good is None:
            headline = f"no release marked good yet; newest is {view.newest.label}"
        else:
            headline = f"now vs last good, {view.last_good.label}"
        notes = list(warnings_of(view.live))
        if view.newest is not None and view.last_good is not None and view.newest.id != view.last_good.id:
            notes.insert(0, f"newest: {view.newest.label}")
        notes += [f"{kind} could not be read: {why}" for kind, why in view.problems.items()]
        return Facts(
            title="Release",
            headline=headline,
            columns=("LAYER", "NOW", "LAST GOOD", ""),
            rows=tuple(self._rows()),
            notes=tuple(notes),
        )

    def to_json(self) -> dict[str, Any]:
        view = self.view
        return {
            "newest": view.newest.id if view.newest else None,
            "last_good": view.last_good.id if view.last_good else None,
            "layers": [
                {"kind": kind, "now": now, "last_good": was, "verdict": verdict}
                for kind, now, was, verdict in self._rows()
            ],
            "warnings": list(warnings_of(view.live)),
            "errors": {kind: why for kind, why in view.problems.items()},
        }
