"""Release rollback: every layer back to a recorded release in one request, through each layer's own kind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from bot.domain.findings import passed
from bot.domain.kinds import RELEASE
from bot.domain.plan import ChangeEvent, Plan, StepResult, Verification
from bot.domain.readiness import CheckKey
from bot.domain.releases import ReleaseStatus
from bot.errors import RollbackBotError, UsageError
from bot.kinds.base import BoundKind, CheckInputs, Contribution, LiveState, Offer, check, require_state
from bot.kinds.layers import at_once, read_layers
from bot.kinds.release import planning, running
from bot.kinds.release.handle import ReleaseHandle
from bot.kinds.release.reader import ReleaseLive, last_good_view
from bot.kinds.release.state import LayerChange, ReleaseState


class ReleaseRollback(BoundKind[ReleaseState]):
    """Plans each differing item with its own kind; runs them code first, then the rest together."""

    kind = RELEASE
    drillable = False

    def __init__(self, handle: ReleaseHandle) -> None:
        self._h = handle

    def plan(self, *, choice: str | None = None) -> Plan[ReleaseState]:
        return planning.release_plan(self._h, choice)

    def _sub_plans(self, plan: Plan[ReleaseState]) -> list[tuple[LayerChange, Plan[Any]]]:
        """Each item's own plan, read back from the stored states (what was approved, exactly)."""
        current, desired = require_state(plan)
        out = []
        for now, then in zip(current.changes, desired.changes, strict=True):
            definition = self._h.kinds.get(now.kind)
            if definition is None or now.kind not in self._h.layers:
                raise UsageError(f"`{now.kind}` is no longer configured here, so this release rollback cannot run.")
            before, after = definition.decode_state(now.state), definition.decode_state(then.state)
            sub: Plan[Any] = Plan(
                kind=now.kind,
                choice=now.choice,
                current=before,
                desired=after,
                current_text=before.describe(),
                desired_text=after.describe(),
            )
            out.append((now, sub))
        return out

    def capture(self, plan: Plan[ReleaseState]) -> ReleaseState:
        current, _ = require_state(plan)
        subs = self._sub_plans(plan)
        reads: list[Callable[[], Any]] = [lambda: read_layers(self._h.layers)]
        reads += [lambda c=c, sub=sub: self._h.layers[c.kind].capture(sub) for c, sub in subs]  # type: ignore[misc]
        (layers, problems), *captured = at_once(reads)  # every read at once: this runs before any write
        if problems:
            raise RollbackBotError(
                "live state could not be read: " + "; ".join(f"{k}: {w}" for k, w in problems.items())
            )
        changes = tuple(
            LayerChange(c.kind, c.item, c.choice, state.to_json()) for (c, _), state in zip(subs, captured, strict=True)
        )
        return ReleaseState(current.release, layers, changes, current.proof)

    def execute(self, plan: Plan[ReleaseState]) -> Iterator[StepResult]:
        current, _ = require_state(plan)
        layers: dict[Any, running.Layer] = {}
        for change, sub in self._sub_plans(plan):
            bound = self._h.layers[change.kind]
            layer = layers.setdefault(change.kind, running.Layer(change.kind, bound.release_stage))
            layer.items.append(running.Item(change.kind, change.item, bound, sub))
        yield from running.run(list(layers.values()), release=current.release)

    def verify(self, plan: Plan[ReleaseState]) -> Verification:
        _, desired = require_state(plan)

        def matches() -> tuple[bool, str]:
            live, problems = read_layers(self._h.layers)
            by_kind = {layer.kind: layer for layer in live}
            wrong = [f"{kind} could not be read: {why}" for kind, why in problems.items()]
            for change in desired.changes:
                want = next((layer.item(change.item) for layer in desired.layers if layer.kind == change.kind), None)
                have = by_kind[change.kind].item(change.item) if change.kind in by_kind else None
                if want is not None and (have is None or have.value != want.value):
                    wrong.append(
                        f"{change.kind} {change.item} reads {have.text if have else 'nothing'}, not {want.text}"
                    )
            if wrong:
                return False, "; ".join(wrong)
            return True, f"every layer it moved reads back as release #{desired.release}"

        return Verification((check("verify release", matches),))

    def restore(self, snapshot: ReleaseState, live: ReleaseState) -> Iterator[StepResult]:
        for then, now in zip(snapshot.changes, live.changes, strict=True):
            if then.state != now.state:
                definition, bound = self._h.kinds.get(then.kind), self._h.layers[then.kind]
                if definition is not None:
                    yield from bound.restore(definition.decode_state(then.state), definition.decode_state(now.state))

    def undo_partial(self, plan: Plan[ReleaseState], live: ReleaseState) -> Iterator[StepResult]:
        """Each item left half-way (neither as it was nor as planned) gets its own kind's undo."""
        for (_, sub), now in zip(self._sub_plans(plan), live.changes, strict=True):
            definition = self._h.kinds.get(now.kind)
            state = definition.decode_state(now.state) if definition else None
            if state is not None and state not in (sub.current, sub.desired):
                yield from self._h.layers[now.kind].undo_partial(sub, state)

    def moved_by_others(self, snapshot: ReleaseState, desired: ReleaseState, live: ReleaseState) -> tuple[str, ...]:
        """Item by item: each moved item as its own kind judges it; any other item that is not as it was."""
        moved: list[str] = []
        for then, want, now in zip(snapshot.changes, desired.changes, live.changes, strict=True):
            definition = self._h.kinds.get(now.kind)
            if definition is None or now.kind not in self._h.layers:
                moved.append(f"{now.kind} {now.item}")
                continue
            states = (definition.decode_state(x.state) for x in (then, want, now))
            moved += [f"{now.kind} {now.item} {f}" for f in self._h.layers[now.kind].moved_by_others(*states)]
        planned = {(c.kind, c.item) for c in snapshot.changes}
        before = {(layer.kind, i.name): i.value for layer in snapshot.layers for i in layer.items}
        after = {(layer.kind, i.name): i.value for layer in live.layers for i in layer.items}
        others = sorted((set(before) | set(after)) - planned)
        moved += [f"{kind} {name}" for kind, name in others if before.get((kind, name)) != after.get((kind, name))]
        return tuple(moved)

    def restorable(self, snapshot: ReleaseState) -> str | None:
        for change in snapshot.changes:
            definition = self._h.kinds.get(change.kind)
            if definition is not None:
                why = self._h.layers[change.kind].restorable(definition.decode_state(change.state))
                if why:
                    return why
        return None

    def changes(self, *, since: datetime) -> list[ChangeEvent]:
        return []  # a release is a snapshot, not a change: the layers' own timelines say what moved

    def read(self) -> LiveState:
        return ReleaseLive(last_good_view(self._h))

    def contribute(self, key: CheckKey, inputs: CheckInputs) -> Contribution | None:
        """Item 2: which release a release rollback would go back to (evidence only: releases are optional)."""
        if key is not CheckKey.rollback_command:
            return None
        good = self._h.releases.latest(self._h.target, status=ReleaseStatus.good)
        if good is None:
            return [passed("release: no release is marked good yet, so none to go back to in one request")]
        return [passed(f"release: everything can go back to {good.label}")]

    def offer(self) -> Offer:
        view = last_good_view(self._h)
        good = view.last_good
        if good is None:
            note = "no release recorded yet" if view.newest is None else "no release is marked good yet"
            return Offer("everything back to a release", note, executable=view.newest is not None)
        kinds = list(dict.fromkeys(d.kind for d in view.diffs if planning.runs_in_release(self._h, d.kind)))
        if not kinds:
            return Offer(f"everything back to release #{good.id}", f"live state matches release #{good.id}")
        note = f"{len(kinds)} layer{'s' if len(kinds) > 1 else ''} differ from #{good.id}: {', '.join(kinds)}"
        return Offer(f"everything back to release #{good.id}", note, preferred=len(kinds) > 1)
