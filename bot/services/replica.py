"""What this replica is executing, and whether it still takes executions (not once a drain has begun).

Kept free of the use-cases so that ``Deps`` can hold it; ``bot.services.claims`` fills it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol

# keep_alive(every, beat): while the block runs, call ``beat`` every ``every`` seconds (a heartbeat).
KeepAlive = Callable[[float, Callable[[], None]], AbstractContextManager[object]]


def no_heartbeat(every: float, beat: Callable[[], None]) -> AbstractContextManager[object]:
    """A keep-alive that never beats (one-threaded tests: leases are renewed before each write anyway)."""
    return nullcontext()


class HandOver(Protocol):
    """An execution's lease that can be given up (a ``claims.Lease``)."""

    request_id: int

    def hand_over(self) -> bool:
        """Stop before the next write and drop the lease, so another replica resumes at once (False: there was
        nothing left to hand over)."""


class LocalExecutions:
    """The executions this replica has queued or is running, and whether it still claims new ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: set[int] = set()
        self._running: dict[int, HandOver] = {}
        self._claiming = True

    @property
    def claiming(self) -> bool:
        """False once a drain has begun: what is approved is left to the other replicas."""
        return self._claiming

    def stop_claiming(self) -> None:
        with self._lock:
            self._claiming = False

    def queue(self, request_id: int) -> bool:
        """Note an execution handed to the pool; False when it is already queued or running here."""
        with self._lock:
            if not self._claiming or request_id in self._queued or request_id in self._running:
                return False
            self._queued.add(request_id)
            return True

    def started(self, lease: HandOver) -> None:
        with self._lock:
            self._queued.discard(lease.request_id)
            self._running[lease.request_id] = lease

    def finished(self, request_id: int) -> None:
        with self._lock:
            self._queued.discard(request_id)
            self._running.pop(request_id, None)

    def running(self) -> list[HandOver]:
        """The leases of what runs here now."""
        with self._lock:
            return list(self._running.values())
