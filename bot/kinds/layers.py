"""Reading every bound kind's layer of a release at once (a release, a drift check, a release rollback)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bot.domain.kinds import KindName
from bot.domain.releases import Layer, LayerItem
from bot.errors import RollbackBotError
from bot.kinds.base import BoundKind

MAX_READERS = 8
T = TypeVar("T")


def at_once(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Run ``calls`` concurrently (reads: each waits on Azure or a database), results in order; the first error
    raised is raised here, once every call has finished."""
    if len(calls) <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=min(MAX_READERS, len(calls)), thread_name_prefix="layers") as pool:
        futures = [pool.submit(contextvars.copy_context().run, call) for call in calls]
    return [future.result() for future in futures]


def read_layers(kinds: Mapping[KindName, BoundKind[Any]]) -> tuple[tuple[Layer, ...], dict[KindName, str]]:
    """Each kind's layer, read now and concurrently, in ``kinds``' order; a kind that cannot be read says why.

    Kinds that take part in no release (``release_items`` is None) are left out.
    """
    read = at_once([lambda bound=bound: _read(bound) for bound in kinds.values()])  # type: ignore[misc]
    layers: list[Layer] = []
    problems: dict[KindName, str] = {}
    for name, (items, problem) in zip(kinds, read, strict=True):
        if problem is not None:
            problems[name] = problem
        elif items is not None:
            layers.append(Layer(name, items))
    return tuple(layers), problems


def _read(bound: BoundKind[Any]) -> tuple[tuple[LayerItem, ...] | None, str | None]:
    try:
        return bound.release_items(), None
    except RollbackBotError as exc:
        return None, exc.user_message
