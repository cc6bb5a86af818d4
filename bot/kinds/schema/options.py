"""The ways back a schema plan offers, from the releases and live state, and the one it picks by default."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.findings import iso_z, when
from bot.domain.kinds import SCHEMA
from bot.domain.plan import Choice
from bot.domain.releases import Release, ReleaseStatus
from bot.kinds.schema import cutover, down, pitr
from bot.kinds.schema.handle import PostgresHandle

HEAD_ITEM = "migration head"
RECENT = 10


@dataclass(frozen=True)
class Options:
    """What the responder may pick, and the default (None: nothing to go back to by default)."""

    choices: tuple[Choice, ...]
    default: str | None
    default_label: str = ""

    def label(self, choice: str) -> str:
        """What ``choice`` means, in a few words (from the offered choices, else the choice itself)."""
        return next((c.label for c in self.choices if c.value == choice), choice)


def recorded_head(release: Release) -> str | None:
    layer = release.layer(SCHEMA)
    item = layer.item(HEAD_ITEM) if layer else None
    return item.value if item is not None and item.value != "none" else None


def options(h: PostgresHandle, head: str | None, now: datetime) -> Options:
    """Down to each release's head (with a migration job), restore to 5 min before each release, cut over to each
    restored server that is Ready (with ``cutover``); by default down to the last good release's head, else a
    restore to 5 min before the release that followed it."""
    releases: Sequence[Release] = list(h.history()[:RECENT]) if h.history else []
    downs = _downs(h, releases, head)
    restores = [
        Choice(pitr.PREFIX + iso_z(point), f"restore to {when(point)}, before release #{r.id}"[:75])
        for r in releases
        if (point := r.recorded_at - pitr.BEFORE_RELEASE)
    ]
    default = next((c.value for c, good in downs if good), None)
    if default is None:
        after_good = _first_after_last_good(releases)
        if after_good is not None:
            default = pitr.PREFIX + iso_z(after_good.recorded_at - pitr.BEFORE_RELEASE)
    choices = [c for c, _ in downs] + _unique(restores) + _cutovers(h)
    return Options(tuple(choices), default)


def _downs(h: PostgresHandle, releases: Sequence[Release], head: str | None) -> list[tuple[Choice, bool]]:
    """Down to each release's recorded head (not bad, not the head now), with whether that release is good."""
    if h.job is None or h.migrations is None:
        return []
    out: dict[str, tuple[Choice, bool]] = {}
    for release in releases:
        target = recorded_head(release)
        if not target or target == head or release.status is ReleaseStatus.bad:
            continue
        value = down.PREFIX + target
        good = release.status is ReleaseStatus.good
        if value not in out:
            out[value] = (Choice(value, f"down-migrate to {target} (release #{release.id})"[:75]), good)
        elif good and not out[value][1]:
            out[value] = (out[value][0], True)
    return list(out.values())


def _unique(choices: list[Choice]) -> list[Choice]:
    seen: set[str] = set()
    return [c for c in choices if not (c.value in seen or seen.add(c.value))]  # type: ignore[func-returns-value]


def _cutovers(h: PostgresHandle) -> list[Choice]:
    """Each restored server that is Ready, when a cut-over is configured."""
    if h.cutover is None:
        return []
    prefix = f"{h.ref.server}-restored-"
    return [
        Choice(cutover.PREFIX + s.name, f"point the app at {s.name}"[:75])
        for s in h.api.list_servers(h.ref)
        if s.name.startswith(prefix) and s.state == "Ready"
    ]


def _first_after_last_good(releases: Sequence[Release]) -> Release | None:
    """The release recorded right after the newest good one (newest first in ``releases``): the bad change."""
    for i, release in enumerate(releases):
        if release.status is ReleaseStatus.good:
            return releases[i - 1] if i > 0 else None
    return None
