"""``Sandbox``: the state folder, the running stack behind the page, and the page's own HTTP server.

sandbox = Sandbox.start(Path(".rollback-sandbox"), port=8080)
print(sandbox.url)          # http://127.0.0.1:8080/
sandbox.reset()             # wipe the state folder and start from the demo estate again
sandbox.close()
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from bot.errors import ConfigError
from sandbox.stack import Stack
from sandbox.web import PageServer

MARKER = ".rollback-bot-sandbox"
LOG_FILE = "sandbox.log"
KEPT_ON_RESET = frozenset({MARKER, LOG_FILE})


class Sandbox:
    """A running sandbox: one stack at a time (``reset`` replaces it), one page server for its whole life."""

    def __init__(self, root: Path, stack: Stack, page: PageServer) -> None:
        self.root = root
        self._stack = stack
        self._page: PageServer | None = page
        self._reset_lock = threading.Lock()

    @classmethod
    def start(cls, root: Path, *, host: str = "127.0.0.1", port: int = 0, reset: bool = False) -> Sandbox:
        """Start with the state in ``root`` (wiped first when ``reset``) and serve the page on ``host:port``.

        Raises:
            OSError: the port cannot be bound (checked before anything else starts).
            ConfigError: ``root`` is a non-empty folder that a sandbox did not create.
        """
        page = PageServer(host, port)
        try:
            prepare_state_folder(root, reset=reset)
            stack = Stack.start(root)
        except BaseException:
            page.server_close()
            raise
        sandbox = cls(root, stack, page)
        page.serve(sandbox)
        return sandbox

    @property
    def url(self) -> str:
        """The page's URL."""
        if self._page is None:
            raise RuntimeError("the sandbox page is not served")
        return self._page.url

    @property
    def stack(self) -> Stack:
        """The running stack (a new one after each ``reset``; waits while a reset is under way)."""
        with self._reset_lock:
            return self._stack

    def reset(self) -> None:
        """Stop everything, wipe the state folder, start again from the demo estate."""
        with self._reset_lock:
            self._stack.close()
            prepare_state_folder(self.root, reset=True)
            self._stack = Stack.start(self.root)

    def close(self) -> None:
        """Stop the page server and the stack (the state folder stays for the next start)."""
        if self._page is not None:
            self._page.stop()
            self._page = None
        with self._reset_lock:
            self._stack.close()


def prepare_state_folder(root: Path, *, reset: bool) -> None:
    """Create ``root`` (marked as a sandbox's); with ``reset``, empty it first.

    A non-empty folder without the marker is refused rather than used or wiped: it is not ours.
    """
    if root.exists() and any(root.iterdir()) and not (root / MARKER).exists():
        raise ConfigError(f"{root} is not empty and was not created by `rollback-bot sandbox`; choose another folder")
    if reset and root.exists():
        for child in root.iterdir():
            if child.name in KEPT_ON_RESET:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("State of `rollback-bot sandbox`; `rollback-bot sandbox --reset` wipes it.\n")
