"""Running a release rollback: stage by stage (code first), the layers of a stage concurrently, each verified.

Each item runs through its own kind: re-read (already as planned: only verified, as after a replica that
stopped half-way; as it was planned from, or half-way through its own writes: the rest is written; moved by
someone else: nothing is written), execute, verify. Before writing, an item passes the execution's lease
fence (``before_write``): a replica that lost the execution writes nothing more. The first
failure — an error, a failed verification, an item that moved since the plan — stops the rollback: no
layer starts writing after it (a layer already writing finishes and is verified), no later stage starts,
and the error lists what was done and verified, what failed and what was not done.
"""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.domain.kinds import KindName
from bot.domain.plan import Plan, StepResult
from bot.errors import LeaseLostError, PartialRollbackError, RollbackBotError, StalePlanError
from bot.kinds.base import BoundKind, before_write, require_state

log = logging.getLogger("rollback_bot.release")

DONE, FAILED, NOT_DONE, LOST = "done", "failed", "not done", "lost"


@dataclass
class Item:
    """One item the rollback moves, with its kind's plan, and how it went."""

    kind: KindName
    name: str
    bound: BoundKind[Any]
    plan: Plan[Any]
    outcome: str = NOT_DONE
    why: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind} ({self.name})"


@dataclass
class Layer:
    """A layer's items (run one after another) and its stage."""

    kind: KindName
    stage: int
    items: list[Item] = field(default_factory=list)


_FINISHED = object()


def run(layers: Sequence[Layer], *, release: int) -> Iterator[StepResult]:
    """Run every stage in order, yielding each finished step; raise ``PartialRollbackError`` at the end of a
    stage in which something failed."""
    stop = threading.Event()
    for stage in sorted({layer.stage for layer in layers}):
        yield from _stage([layer for layer in layers if layer.stage == stage], stop)
        if stop.is_set():
            break
    items = [item for layer in layers for item in layer.items]
    lost = next((item for item in items if item.outcome == LOST), None)
    if lost is not None:  # another replica holds the execution now: it resumes, and records the outcome
        raise LeaseLostError(f"{lost.label}: this replica no longer executes the release rollback")
    if any(item.outcome == FAILED for item in items):
        raise PartialRollbackError(summary(items, release=release))


def _stage(layers: list[Layer], stop: threading.Event) -> Iterator[StepResult]:
    """The layers of one stage, each on its own thread; steps come out as they finish."""
    steps: queue.Queue[object] = queue.Queue()
    for layer in layers:
        context = contextvars.copy_context()
        threading.Thread(
            target=context.run, args=(_layer, layer, steps, stop), name=f"release-{layer.kind}", daemon=True
        ).start()
    running = len(layers)
    try:
        while running:
            got = steps.get()
            if got is _FINISHED:
                running -= 1
            elif isinstance(got, StepResult):
                yield got
    finally:
        if running:  # the caller stopped listening (its bookkeeping failed): nothing else starts writing
            stop.set()


def _layer(layer: Layer, steps: queue.Queue[object], stop: threading.Event) -> None:
    try:
        for item in layer.items:
            if not _item(item, steps, stop, many=len(layer.items) > 1):
                return
    finally:
        steps.put(_FINISHED)


def _todo(item: Item) -> Plan[Any] | None:
    """What is left to write for ``item``, from live state (None: it already reads as planned, e.g. written by a
    replica that stopped before this one took the execution over).

    Raises:
        StalePlanError: someone else moved it since the plan (nothing is written).
    """
    current, desired = require_state(item.plan)
    live = item.bound.capture(item.plan)
    if live == desired:
        return None
    if live == current:
        return item.plan
    if item.bound.moved_by_others(current, desired, live):
        raise StalePlanError(f"it moved since the plan (now: {live.describe()}); it was left as found")
    return replace(item.plan, current=live)  # some of its own writes landed: the rest runs from here


def _item(item: Item, steps: queue.Queue[object], stop: threading.Event, *, many: bool) -> bool:
    """Re-read, execute, verify one item; False when the rollback stops (here or elsewhere)."""
    prefix = f"{item.kind} {item.name}" if many else str(item.kind)
    try:
        if stop.is_set():
            return False
        todo = _todo(item)
        if stop.is_set():  # another layer failed while this one was reading: it does not start writing
            return False
        if todo is not None:
            before_write()  # the execution's lease: a replica that lost it writes nothing more
            for step in item.bound.execute(todo):
                steps.put(_tagged(step, prefix, item))
        verification = item.bound.verify(item.plan)
        for check in verification.checks:
            steps.put(_tagged(check, prefix, item))
        if not verification.ok:
            raise RollbackBotError(f"verification failed: {verification.failure}")
    except LeaseLostError:
        item.outcome = LOST
        stop.set()
        return False
    except RollbackBotError as exc:
        return _failed(item, exc.user_message, stop)
    except Exception:
        ref = uuid.uuid4().hex[:12]
        log.exception("unexpected error rolling back %s (ref %s)", item.label, ref)
        return _failed(item, f"unexpected error (reference `{ref}`)", stop)
    item.outcome = DONE
    return True


def _failed(item: Item, why: str, stop: threading.Event) -> bool:
    item.outcome, item.why = FAILED, why
    stop.set()
    return False


def _tagged(step: StepResult, prefix: str, item: Item) -> StepResult:
    return replace(step, name=f"{prefix}: {step.name}", data={**step.data, "layer": item.kind, "item": item.name})


def summary(items: Sequence[Item], *, release: int) -> str:
    """'Stopped at …: why. Done and verified: … Not done: …' (what a person needs to decide what is next)."""
    failed = [i for i in items if i.outcome == FAILED]
    done = [i.label for i in items if i.outcome == DONE]
    not_done = [i.label for i in items if i.outcome == NOT_DONE]
    parts = [
        f"The rollback to release #{release} stopped: "
        + "; ".join(f"{i.label} failed: {i.why.rstrip('.')}" for i in failed)
        + ".",
        f"Done and verified: {', '.join(done) or 'nothing'}.",
        f"Not done: {', '.join(not_done) or 'nothing'}.",
    ]
    return " ".join(parts)
