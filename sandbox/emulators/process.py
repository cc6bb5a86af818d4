"""Running an emulator as a process (``python -m sandbox.emulators.…``): until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading
from types import FrameType


def wait_until_stopped() -> None:
    """Block until SIGINT (Ctrl-C) or SIGTERM."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    while not stop.wait(0.5):
        pass
