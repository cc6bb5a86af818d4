"""What the multi-process benches share: a spawned child with a pipe to it, and the percentile they report."""

from __future__ import annotations

import math
import multiprocessing as mp
import time
from typing import Any


class Child:
    """A spawned child process and a pipe to it; the first message is what it offers (``info``)."""

    def __init__(self, target: Any, *args: Any, start_timeout: float = 60.0) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=target, args=(child, *args), daemon=True)
        self._proc.start()
        self.info: dict[str, str] = self._answer(f"{target.__name__} to start", start_timeout)

    def _answer(self, what: str, timeout: float) -> Any:
        """The child's next message; fails fast if the child died (its traceback is on stderr)."""
        deadline = time.monotonic() + timeout
        while not self.conn.poll(0.05):
            if not self._proc.is_alive():
                raise SystemExit(f"the child process died (exit code {self._proc.exitcode}) waiting for {what}")
            if time.monotonic() > deadline:
                raise SystemExit(f"no answer within {timeout:.0f} s waiting for {what}")
        return self.conn.recv()

    def ask(self, *message: Any, timeout: float = 30.0) -> Any:
        self.conn.send(message)
        return self._answer(repr(message[0]), timeout)

    def close(self) -> None:
        try:
            self.conn.send(("stop",))
            if self.conn.poll(10):
                self.conn.recv()
        except (OSError, EOFError):
            pass
        finally:
            self._proc.join(timeout=10)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join(timeout=5)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]
