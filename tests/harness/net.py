"""Network stand-ins for sick dependencies: a port nobody listens on, a listener that never answers."""

from __future__ import annotations

import socket
import threading


class HungServer:
    """A TCP listener that accepts every connection and never answers (a hung database or Slack)."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._held: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._held.append(conn)

    def close(self) -> None:
        self._closed = True
        self._sock.close()
        for conn in self._held:
            conn.close()


def free_port() -> int:
    """A port nobody listens on (connections to it are refused until something binds it)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port: int = holder.getsockname()[1]
    return port
