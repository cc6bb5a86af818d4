"""Planning a release rollback: which release, which items differ, and each item's plan from its own kind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain.kinds import RELEASE, KindName
from bot.domain.plan import Choice, Plan
from bot.domain.releases import ItemDiff, Layer, Release, ReleaseStatus, differences
from bot.errors import NotFoundError, UsageError
from bot.kinds.layers import read_layers
from bot.kinds.release.handle import ReleaseHandle
from bot.kinds.release.state import LayerChange, ReleaseState

RECENT = 25  # releases offered as targets


@dataclass(frozen=True)
class Planned:
    """One differing item and its kind's own plan back to the recorded value."""

    diff: ItemDiff
    plan: Plan[Any]


@dataclass(frozen=True)
class Sorted:
    """The differing items of a release, sorted by what the rollback does with them."""

    planned: tuple[Planned, ...] = ()
    separate: tuple[ItemDiff, ...] = ()  # a kind with its own request (schema), or one the bot only plans
    left: tuple[ItemDiff, ...] = ()  # not in the release, or nothing to plan back to: left as it is
    blocked: str | None = None


def choices(releases: Sequence[Release]) -> tuple[Choice, ...]:
    """The releases people can go back to (bad ones are not offered), newest first."""
    return tuple(
        Choice(
            str(r.id), f"#{r.id} · {r.status.value} · {r.recorded_at:%Y-%m-%d %H:%M} UTC · {r.note or r.source}"[:75]
        )
        for r in releases
        if r.status is not ReleaseStatus.bad
    )


def runs_in_release(h: ReleaseHandle, kind: KindName) -> bool:
    """True when a release rollback runs this kind's layer itself (not a kind only planned or with its own request)."""
    bound = h.layers[kind]
    return bound.executes and not bound.own_request


def executable_diffs(h: ReleaseHandle, live: Sequence[Layer], release: Release) -> tuple[ItemDiff, ...]:
    """The items of ``release`` a rollback could move (those of kinds the bot executes)."""
    return tuple(d for d in differences(live, release.layers) if runs_in_release(h, d.kind))


def default_release(h: ReleaseHandle, live: Sequence[Layer], releases: Sequence[Release]) -> Release | None:
    """The newest good release live state differs from (else the newest good one; None: none is good)."""
    good = [r for r in releases if r.status is ReleaseStatus.good]
    return next((r for r in good if executable_diffs(h, live, r)), good[0] if good else None)


def _pick(h: ReleaseHandle, choice: str | None, releases: Sequence[Release], live: Sequence[Layer]) -> Release | None:
    if choice is None:
        return default_release(h, live, releases)
    if not choice.lstrip("#").isdigit():
        raise UsageError(f"“{choice}” is not a release number; releases are numbers, e.g. 7.")
    wanted = int(choice.lstrip("#"))
    found = next((r for r in releases if r.id == wanted), None)
    try:
        chosen = found or h.releases.get(h.target, wanted)
    except NotFoundError as exc:
        raise UsageError(exc.user_message) from None
    if chosen.status is ReleaseStatus.bad:
        raise UsageError(f"Release #{chosen.id} is marked bad; choose another one.")
    return chosen


def sort_diffs(h: ReleaseHandle, diffs: Sequence[ItemDiff]) -> Sorted:
    """Plan each differing item with its own kind; the first item that cannot be planned blocks the rollback."""
    planned: list[Planned] = []
    separate: list[ItemDiff] = []
    left: list[ItemDiff] = []
    for diff in diffs:
        bound = h.layers[diff.kind]
        if not bound.executes or bound.own_request:
            separate.append(diff)
            continue
        if diff.recorded is None or diff.recorded.target is None:
            left.append(diff)
            continue
        try:
            plan = bound.plan(choice=diff.recorded.target)
        except UsageError as exc:
            return Sorted(blocked=f"{diff.kind} {diff.name} cannot go back: {exc.user_message}")
        if not plan.executable:
            return Sorted(blocked=f"{diff.kind} {diff.name} cannot go back: {plan.blocked_reason}")
        planned.append(Planned(diff, plan))
    order = list(h.layers)
    planned.sort(key=lambda p: (h.layers[p.diff.kind].release_stage, order.index(p.diff.kind)))
    return Sorted(tuple(planned), tuple(separate), tuple(left))


def stages(h: ReleaseHandle, planned: Sequence[Planned]) -> list[list[KindName]]:
    """The planned layers, stage by stage (a stage's layers run concurrently)."""
    out: dict[int, list[KindName]] = {}
    for p in planned:
        kinds = out.setdefault(h.layers[p.diff.kind].release_stage, [])
        if p.diff.kind not in kinds:
            kinds.append(p.diff.kind)
    return [out[stage] for stage in sorted(out)]


def _order_text(groups: list[list[KindName]]) -> str:
    """``code first, then prompt, model and embedding together``."""
    parts = [", ".join(g[:-1]) + " and " + g[-1] + " together" if len(g) > 1 else g[0] for g in groups]
    if len(parts) > 1:
        parts[0] += " first"
    return ", then ".join(parts)


def _texts(found: Sorted) -> tuple[str, str]:
    now = [f"{p.diff.kind} · {p.diff.live_text}" for p in found.planned]
    after = [f"{p.diff.kind} · {p.diff.recorded_text}" for p in found.planned]
    now += [f"{d.kind} · {d.live_text}" for d in (*found.separate, *found.left)]
    after += [f"{d.kind} · {d.recorded_text} (separate request)" for d in found.separate]
    after += [f"{d.kind} · {d.live_text} (left as it is)" for d in found.left]
    return "\n".join(now), "\n".join(after)


def _risks(found: Sorted) -> tuple[str, ...]:
    risks = [f"{p.diff.kind}: {risk}" for p in found.planned for risk in p.plan.risks]
    risks += [
        f"{d.kind}: {d.live_text} → {d.recorded_text} is not rolled back here: it needs its own request "
        f"(`/rollback`, then {d.kind})."
        for d in found.separate
    ]
    risks += [f"{d.kind}: {d.name} is left as it is ({d.recorded_text})." for d in found.left]
    return tuple(risks)


def _expected(live: Sequence[Layer], planned: Sequence[Planned]) -> tuple[Layer, ...]:
    """Live layers with every planned item at its recorded value."""
    recorded = {(p.diff.kind, p.diff.name): p.diff.recorded for p in planned}
    return tuple(
        Layer(layer.kind, tuple(recorded.get((layer.kind, i.name)) or i for i in layer.items)) for layer in live
    )


def release_plan(h: ReleaseHandle, choice: str | None) -> Plan[ReleaseState]:
    """The plan back to release ``choice`` (default: the newest good one live state differs from)."""
    releases = list(h.releases.recent(h.target, limit=RECENT))
    offered = choices(releases)
    if not releases:
        why = f"No release of {h.target} is recorded yet: record one with `rollback-bot release record`."
        return Plan.blocked(RELEASE, why, current_text="no release recorded")
    live, problems = read_layers(h.layers)
    if problems:
        unread = "; ".join(f"{kind}: {why}" for kind, why in problems.items())
        return Plan.blocked(
            RELEASE, f"Live state could not be read ({unread}).", current_text="unknown", choices=offered
        )
    release = _pick(h, choice, releases, live)
    if release is None:
        why = "No release is marked good: choose one, or mark one with `rollback-bot release mark … good`."
        return Plan.blocked(RELEASE, why, current_text="no good release", choices=offered)
    found = sort_diffs(h, differences(live, release.layers))
    now_text, after_text = _texts(found)
    if found.blocked or not found.planned:
        why = found.blocked or f"Live state already matches release #{release.id} in every layer the bot rolls back."
        return Plan.blocked(
            RELEASE, why, choice=str(release.id), current_text=now_text or "as recorded", choices=offered,
            desired_text=after_text or release.label, risks=_risks(found),
        )  # fmt: skip
    return _plan(h, release, live, found, offered=offered, texts=(now_text, after_text))


def _plan(
    h: ReleaseHandle,
    release: Release,
    live: Sequence[Layer],
    found: Sorted,
    *,
    offered: tuple[Choice, ...],
    texts: tuple[str, str],
) -> Plan[ReleaseState]:
    planned = found.planned

    def changes(which: str) -> tuple[LayerChange, ...]:
        return tuple(
            LayerChange(p.diff.kind, p.diff.name, p.plan.choice, getattr(p.plan, which).to_json()) for p in planned
        )

    proof = next((g for p in planned if (k := h.kinds.get(p.diff.kind)) and (g := k.restored_group(p.plan))), None)
    commands = [line for p in planned for line in (f"# {p.diff.kind}: {p.diff.name}", *p.plan.commands)]
    undo = [line for p in reversed(planned) for line in (f"# {p.diff.kind}: {p.diff.name}", *p.plan.roll_forward)]
    steps = [f"{p.diff.kind}: {step}" for p in planned for step in p.plan.steps]
    order = _order_text(stages(h, planned))
    return Plan(
        kind=RELEASE,
        choice=str(release.id),
        current=ReleaseState(release.id, tuple(live), changes("current"), proof),
        desired=ReleaseState(release.id, _expected(live, planned), changes("desired"), proof),
        current_text=texts[0],
        desired_text=texts[1],
        commands=tuple(commands),
        roll_forward=tuple(undo),
        risks=_risks(found),
        steps=(*steps, "verify release"),
        choices=offered,
        note=(
            f"Back to {release.label}: {order}, each verified by its own checks. It stops at the first failure and "
            "says what was done and what was not."
        ),
    )
