"""The App Home readiness board: per service/environment, live state and the last checklist, drill and requests."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.catalog import EnvironmentPolicy
from bot.domain.facts import Facts
from bot.domain.freeze import Freeze
from bot.domain.readiness import ChecklistReport, DrillRecord
from bot.domain.rollback_requests import RollbackRequest
from bot.services import Deps
from bot.services.live import live_state


@dataclass(frozen=True)
class Readiness:
    """What a platform owner wants to see at a glance for one service/environment."""

    policy: EnvironmentPolicy
    live: tuple[Facts, ...]
    checklist: ChecklistReport | None
    last_drill: DrillRecord | None
    in_flight: RollbackRequest | None
    freeze: Freeze | None = None


def readiness(deps: Deps, *, parallelism: int = 8) -> list[Readiness]:
    """One board entry per configured environment (live reads run in parallel, bounded)."""
    policies = list(deps.catalog.environments)
    if not policies:
        return []
    with deps.read_snapshot(), ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(policies)))) as pool:
        futures = [pool.submit(contextvars.copy_context().run, _one, deps, p) for p in policies]
        return [f.result() for f in futures]


def _one(deps: Deps, policy: EnvironmentPolicy) -> Readiness:
    live = live_state(deps, policy.target)
    drills = deps.drills.recent(policy.target, limit=1)
    return Readiness(
        policy=policy,
        live=tuple(live),
        checklist=deps.checklists.latest(policy.target),
        last_drill=drills[0] if drills else None,
        in_flight=deps.requests.find_in_flight(policy.target),
        freeze=deps.freezes.active(policy.target) if deps.freezes is not None else None,
    )


@dataclass(frozen=True)
class Board:
    """The readiness board as read at ``at``."""

    entries: tuple[Readiness, ...]
    at: datetime


class BoardCache:
    """App Home's board, served from memory and refreshed in the background: a stale board with its age,
    never a slow one. At most one refresh runs at a time; whoever saw an out-of-date board gets the new one."""

    def __init__(self, *, max_age: timedelta = timedelta(seconds=30)) -> None:
        self._max_age = max_age
        self._lock = threading.Lock()
        self._board: Board | None = None
        self._refreshing = False
        self._waiting: set[str] = set()

    def open(self, user_id: str, now: datetime) -> tuple[Board | None, bool]:
        """What ``user_id`` sees now, and whether the caller must start a refresh (then they are shown its result)."""
        with self._lock:
            board = self._board
            if board is not None and now - board.at < self._max_age:
                return board, False
            self._waiting.add(user_id)
            start, self._refreshing = not self._refreshing, True
            return board, start

    def abandon(self) -> None:
        """The refresh could not be started (no room for it): the next opening tries again."""
        with self._lock:
            self._refreshing = False

    def refresh(self, deps: Deps) -> tuple[Board, frozenset[str]]:
        """Read every environment now; returns the board and who is waiting for it."""
        try:
            board = Board(tuple(readiness(deps)), deps.clock())
        except BaseException:
            self.abandon()
            raise
        with self._lock:
            self._board, waiting, self._refreshing = board, frozenset(self._waiting), False
            self._waiting.clear()
        return board, waiting


Publish = Callable[[str, Board | None], None]


def show_home(
    deps: Deps,
    cache: BoardCache,
    user_id: str,
    *,
    publish: Publish,
    in_background: Callable[[Callable[[], None]], bool],
) -> None:
    """Publish the board ``user_id`` may see at once (None: not read yet); refresh it in the background when it
    is out of date, and publish the fresh one to everyone who saw the old one."""
    board, refresh = cache.open(user_id, deps.clock())
    publish(user_id, board)
    if refresh and not in_background(lambda: _refresh(deps, cache, publish)):
        cache.abandon()


def _refresh(deps: Deps, cache: BoardCache, publish: Publish) -> None:
    board, waiting = cache.refresh(deps)
    for user_id in sorted(waiting):
        publish(user_id, board)
