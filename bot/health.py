"""What ``/health/ready`` answers, free of frameworks: each dependency (the database, Slack, the Socket Mode
connection) is a component that is either still *starting* (its start-up step has not succeeded yet; the text
says why) or started, after which a bounded live check says whether it answers; details (each environment's
degradation) are sections of the body.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from bot.errors import RollbackBotError

Check = Callable[[], None]  # returns quietly when the dependency answers; raises otherwise


def describe(exc: BaseException) -> str:
    """One line about a failure: the bot's own message, else the type and the first line (no traceback)."""
    if isinstance(exc, RollbackBotError):
        return exc.user_message
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text if len(text) <= 300 else text[:299] + "…"


class TimedCheck:
    """A live check bounded in time: at most one runs at once; a success is remembered for ``ok_for`` seconds."""

    def __init__(self, check: Check, *, timeout: float = 3.0, ok_for: float = 0.0) -> None:
        self._check = check
        self._timeout = timeout
        self._ok_for = ok_for
        self._lock = threading.Lock()
        self._running: Future[None] | None = None
        self._ok_at = -float("inf")
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readiness")
        self.failure: BaseException | None = None  # what the last check that answered raised

    def __call__(self) -> str | None:
        """None when the dependency answered, else why not."""
        with self._lock:
            if time.monotonic() - self._ok_at < self._ok_for:
                return None
            if self._running is None or self._running.done():
                self._running = self._pool.submit(self._check)
            running = self._running
        try:
            running.result(timeout=self._timeout)
        except FutureTimeout:
            return f"no answer within {self._timeout:g} s"
        except Exception as exc:  # the check's failure is the answer
            self.failure = exc
            return describe(exc)
        with self._lock:
            self._ok_at = time.monotonic()
            self.failure = None
        return None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass
class _Component:
    check: TimedCheck
    required: bool
    required_on: tuple[type[BaseException], ...] = ()  # failures that make even an optional component block
    starting: str | None = None  # why it is not started yet; None once started

    def blocks(self, problem: str | None) -> bool:
        return bool(problem) and (self.required or isinstance(self.check.failure, self.required_on))


class Readiness:
    """What ``/health/ready`` reports: each component, and whether the process takes work at all.

    Only ``required`` components decide the answer (503 while one fails); the others, and each ``detail`` (a
    section computed from memory, like the environments' degradation), are reported in the body, where a
    problem makes the status ``degraded`` while the answer stays 200.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._components: dict[str, _Component] = {}
        self._details: dict[str, Callable[[], dict[str, str]]] = {}
        self._draining = False

    def add(
        self,
        name: str,
        check: Check,
        *,
        required: bool = True,
        required_on: tuple[type[BaseException], ...] = (),
        timeout: float = 3.0,
        ok_for: float = 0.0,
    ) -> None:
        """A dependency; ``required`` ones make the process unready when their check fails, optional ones only
        when it fails with one of ``required_on`` (e.g. a configuration error, which waiting will not fix)."""
        with self._lock:
            timed = TimedCheck(check, timeout=timeout, ok_for=ok_for)
            self._components[name] = _Component(timed, required, required_on)

    def detail(self, name: str, section: Callable[[], dict[str, str]]) -> None:
        """A section of the body: ``section()`` maps each item to ``ok`` or what is wrong with it (never
        required; it must answer from memory)."""
        with self._lock:
            self._details[name] = section

    def starting(self, name: str, why: str = "starting") -> None:
        """``name``'s start-up step has not succeeded yet; ``why`` is shown instead of a live check."""
        with self._lock:
            self._components[name].starting = why

    def started(self, name: str) -> None:
        """``name``'s start-up step succeeded: from now on the live check speaks for it."""
        with self._lock:
            self._components[name].starting = None

    def drain(self) -> None:
        """The process is shutting down: unready from now on, and new Slack work is refused."""
        with self._lock:
            self._draining = True

    @property
    def draining(self) -> bool:
        return self._draining

    def report(self) -> tuple[bool, dict[str, Any]]:
        """(ready, body): ``status`` (ready, degraded, starting, unavailable or draining), one entry per
        component and one section per detail."""
        if self._draining:
            return False, {"status": "draining"}
        with self._lock:
            components, details = dict(self._components), dict(self._details)
        body: dict[str, Any] = {}
        ready, starting, degraded = True, False, False
        for name, component in components.items():
            problem = component.starting if component.starting is not None else component.check()
            body[name] = problem or "ok"
            if component.blocks(problem):
                ready = False
                starting = starting or component.starting is not None
            degraded = degraded or bool(problem)
        for name, section in details.items():
            try:
                items = section()
            except Exception as exc:  # a detail never decides readiness
                items = {"error": describe(exc)}
            body[name] = items
            degraded = degraded or any(value != "ok" for value in items.values())
        status = ("degraded" if degraded else "ready") if ready else "starting" if starting else "unavailable"
        return ready, {"status": status, **body}

    def close(self) -> None:
        with self._lock:
            components = list(self._components.values())
        for component in components:
            component.check.close()
