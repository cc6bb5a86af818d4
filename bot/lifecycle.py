"""The process lifecycle, free of frameworks and SDKs: readiness, start-up retries, drainable work pools.

``Readiness`` (``bot.health``, re-exported here) answers ``/health/ready``. ``keep_trying`` runs a start-up
step until it succeeds, with capped exponential backoff and one log line per failed attempt.
``WorkPool`` is a thread pool that knows what it is running, so a drain can wait for it with a deadline.
``periodically`` runs a heartbeat beside a block (an execution renewing its lease while a long step runs).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from bot.errors import ConfigError
from bot.health import Check, Readiness, TimedCheck, describe

__all__ = [
    "Backoff",
    "Check",
    "Lane",
    "Lanes",
    "PoolGroup",
    "Readiness",
    "TimedCheck",
    "WorkPool",
    "describe",
    "keep_trying",
    "periodically",
]

log = logging.getLogger("rollback_bot.lifecycle")

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """Delays between attempts: ``first``, doubling, at most ``cap`` seconds, each with up to 10 % jitter."""

    first: float = 0.5
    cap: float = 5.0

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield min(delay, self.cap) * (1 + random.random() / 10)  # noqa: S311 - jitter, not security
            delay *= 2


def keep_trying(
    step: Callable[[], None],
    *,
    what: str,
    stop: threading.Event,
    backoff: Backoff | None = None,
    on_failure: Callable[[str], None] = lambda _reason: None,
) -> bool:
    """Run ``step`` until it succeeds (True) or ``stop`` is set (False).

    Every failed attempt is one log line (what, attempt, why, when the next one is) and ``on_failure(why)``;
    never a traceback. A ``ConfigError`` is raised at once: waiting does not fix a configuration.
    """
    for attempt, delay in enumerate((backoff or Backoff()).delays(), start=1):
        if stop.is_set():
            return False
        try:
            step()
        except ConfigError:
            raise
        except Exception as exc:  # any failure of a start-up step is retried: the process must stay up
            reason = describe(exc)
            on_failure(f"{reason} (attempt {attempt}; retrying)")  # before the log line: readers of both agree
            log.warning("%s: attempt %d failed: %s; next attempt in %.1f s", what, attempt, reason, delay)
            log.debug("%s: attempt %d failed", what, attempt, exc_info=True)
            if stop.wait(delay):
                return False
        else:
            if attempt > 1:
                log.info("%s: succeeded at attempt %d", what, attempt)
            return True
    return False  # pragma: no cover - the delays never end


class WorkPool(ThreadPoolExecutor):
    """A thread pool that tracks the work it was given, so shutting down can wait for it with a deadline."""

    def __init__(self, max_workers: int, thread_name_prefix: str) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._in_flight: set[Future[Any]] = set()
        self._tracking = threading.Lock()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future = super().submit(fn, *args, **kwargs)
        with self._tracking:
            self._in_flight.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[Any]) -> None:
        with self._tracking:
            self._in_flight.discard(future)

    def in_flight(self) -> int:
        """How many submitted jobs have not finished (queued or running)."""
        with self._tracking:
            return len(self._in_flight)

    def wait_idle(self, deadline: float) -> int:
        """Wait until nothing is in flight or ``time.monotonic()`` passes ``deadline``; returns what is left.

        Work submitted while waiting (a listener that starts an execution) is waited for too.
        """
        while (remaining := deadline - time.monotonic()) > 0:
            with self._tracking:
                pending = {f for f in self._in_flight if not f.done()}
            if not pending:
                return 0
            wait_futures(pending, timeout=remaining)
        with self._tracking:
            return sum(1 for f in self._in_flight if not f.done())


class Lane(WorkPool):
    """A bounded pool for one kind of work done after an ack: ``max_workers`` run, at most ``max_queued`` wait.

    ``offer`` refuses work beyond that (the caller tells the person the bot is busy) instead of letting a
    queue grow without end; ``busy`` says whether new work would wait for a free worker.
    """

    def __init__(self, name: str, *, max_workers: int, max_queued: int) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=f"lane-{name}")
        self.name = name
        self.workers = max_workers
        self._capacity = max_workers + max_queued
        self._admit = threading.Lock()

    @property
    def busy(self) -> bool:
        """True when every worker is taken (new work would queue)."""
        return self.in_flight() >= self.workers

    def offer(self, job: Callable[[], object]) -> bool:
        """Run ``job`` (True), or refuse it when the lane is full (False); its errors are the job's to handle."""
        with self._admit:
            if self.in_flight() >= self._capacity:
                return False
            self.submit(job)
        return True


@dataclass
class PoolGroup:
    """Pools drained together, in order: a drain waits for each in turn (work may move from one to the next)."""

    pools: tuple[WorkPool, ...]

    def in_flight(self) -> int:
        return sum(p.in_flight() for p in self.pools)

    def wait_idle(self, deadline: float) -> int:
        """Wait for each pool in order until ``deadline``; then wait for all again (one may have fed another)."""
        for pool in self.pools:
            pool.wait_idle(deadline)
        return sum(pool.wait_idle(deadline) for pool in self.pools)

    def shutdown(self, wait: bool = True) -> None:
        for pool in self.pools:
            pool.shutdown(wait=wait)


@dataclass(frozen=True)
class Lanes:
    """Where listeners hand their work after the ack, so that no ack ever waits behind Azure or the database.

    ``decide``: decisions and the steps a person waits on (approve, reject, cancel, open a request, open
    the dialog); ``read``: reads of live state (status, checklist, drills, the dialog's timeline and plans,
    App Home's refresh); ``home``: publishing App Home from its cached board.
    """

    decide: Lane
    read: Lane
    home: Lane

    @classmethod
    def default(cls) -> Lanes:
        return cls(
            decide=Lane("decide", max_workers=8, max_queued=64),
            read=Lane("read", max_workers=8, max_queued=64),
            home=Lane("home", max_workers=2, max_queued=256),
        )

    def pools(self) -> tuple[Lane, ...]:
        return (self.decide, self.read, self.home)


@contextmanager
def periodically(every: float, beat: Callable[[], None]) -> Iterator[None]:
    """While the block runs, call ``beat`` every ``every`` seconds on a thread of its own (its errors are logged)."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every):
            try:
                beat()
            except Exception as exc:  # a heartbeat that fails is retried at the next beat
                log.warning("heartbeat failed: %s", describe(exc))

    thread = threading.Thread(target=run, name="heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(every)
