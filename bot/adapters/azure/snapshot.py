"""Read snapshots: inside ``read_snapshot()``, each Azure read is made once and its answer (or error) reused.

A checklist reads the same resources several times (the app for check 1 and again for the plans of check
2; a database server shared by fifty services). Within one snapshot, all of those see one consistent
answer from one call. Concurrent identical reads wait for the first instead of all going to Azure.
Writes are never cached, and nothing is cached outside a snapshot.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")


class _Snapshot:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[Hashable, Future[Any]] = {}

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        with self._lock:
            future = self._results.get(key)
            owner = future is None
            if future is None:
                future = self._results[key] = Future()
        if owner:
            try:
                future.set_result(load())
            except BaseException as exc:  # the same error for everyone reading this in the snapshot
                future.set_exception(exc)
        return future.result()


_ACTIVE: ContextVar[_Snapshot | None] = ContextVar("azure_read_snapshot", default=None)


@contextmanager
def read_snapshot() -> Iterator[None]:
    """Cache Azure reads for the duration of the block (nested blocks share the outer snapshot).

    Worker threads see the snapshot when their task runs in a copy of this context
    (``contextvars.copy_context().run``).
    """
    if _ACTIVE.get() is not None:
        yield
        return
    token = _ACTIVE.set(_Snapshot())
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def snapshot_read(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Mark an adapter method as a pure read of Azure state, cacheable inside a snapshot.

    The key is the adapter class, the method and its arguments (the resource reference), so two adapter
    instances reading the same resource share the answer.
    """

    @functools.wraps(method)
    def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        snapshot = _ACTIVE.get()
        if snapshot is None:
            return method(self, *args, **kwargs)
        key = (type(self).__qualname__, method.__name__, args, tuple(sorted(kwargs.items())))
        result: R = snapshot.get(key, lambda: method(self, *args, **kwargs))
        # Lists are shared by every reader in the snapshot: each gets its own (shallow) copy.
        return list(result) if isinstance(result, list) else result  # type: ignore[return-value]

    return wrapper
