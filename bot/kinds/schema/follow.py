"""Following a long operation (a job execution, a restore) until it ends, within its own bound, with progress."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from datetime import timedelta
from typing import TypeVar

from bot.domain.findings import duration
from bot.domain.plan import StepResult
from bot.errors import AzureOperationError
from bot.kinds.base import before_write

T = TypeVar("T")
FENCE_SECONDS = 5.0


def follow(
    what: str,
    read: Callable[[], T],
    finished: Callable[[T], bool],
    say: Callable[[T], str],
    *,
    timeout: timedelta,
    poll_seconds: float,
    progress_every: timedelta,
    check: str,
    bound_text: str = "",
) -> Generator[StepResult, None, T]:
    """Read until ``finished``; every ``progress_every`` yield a progress report; past ``timeout`` raise.

    Each yield passes the execution's lease fence (a replica that lost its lease stops following there).

    Raises:
        AzureOperationError: still not finished after ``timeout`` (the message says how to ``check`` it).
    """
    started = time.monotonic()
    reported = fenced = started
    while True:
        if time.monotonic() - fenced >= FENCE_SECONDS:  # still this replica's execution? (stops a handed-over one)
            before_write()
            fenced = time.monotonic()
        current = read()
        if finished(current):
            return current
        now = time.monotonic()
        if now - started > timeout.total_seconds():
            raise AzureOperationError(
                f"{what} is still {say(current)} after {bound_text or duration(timeout)}, the bound of this step; "
                f"it goes on in Azure without the bot. Check it with `{check}`.",
                operation=what,
            )
        if now - reported >= progress_every.total_seconds():
            reported = now
            spent = timedelta(seconds=now - started)
            yield StepResult(what, True, round(now - started, 1), f"{what}: {say(current)} ({_spent(spent)})", {}, True)
        time.sleep(poll_seconds)


def _spent(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    return f"{seconds} s so far" if seconds < 120 else f"{duration(span)} so far"
