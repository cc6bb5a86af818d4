"""Reading every bound kind's layer of a release at once (a release, a drift check, a release rollback)."""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.domain.kinds import KindName
from bot.domain.releases import Layer, LayerItem
from bot.errors import RollbackBotError
from bot.kinds.base import BoundKind

MAX_READERS = 8


def read_layers(kinds: Mapping[KindName, BoundKind[Any]]) -> tuple[tuple[Layer, ...], dict[KindName, str]]:
    """Each kind's layer, read now and concurrently, in ``kinds``' order; a kind that cannot be read says why.

    Kinds that take part in no release (``release_items`` is None) are left out.
    """
    if not kinds:
        return (), {}
    with ThreadPoolExecutor(max_workers=min(MAX_READERS, len(kinds)), thread_name_prefix="layers") as pool:
        futures = {name: pool.submit(contextvars.copy_context().run, _read, bound) for name, bound in kinds.items()}
    layers: list[Layer] = []
    problems: dict[KindName, str] = {}
    for name, future in futures.items():
        items, problem = future.result()
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
