"""Serving the WSGI app with waitress (the production server), and Socket Mode when configured.

``bot.server.process`` runs them as the ``serve`` process: bind first, start up in the background, drain on
SIGTERM/SIGINT.
"""

from __future__ import annotations

import gc
import logging
import threading
from typing import TYPE_CHECKING, Any

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError as SdkSlackApiError
from waitress.server import create_server

from bot.adapters.slack_auth import REFUSED
from bot.bootstrap import Runtime
from bot.errors import ConfigError, SlackApiError
from bot.web import MAX_BODY_BYTES

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

log = logging.getLogger("rollback_bot.server")


def freeze_startup_heap() -> None:
    """Keep everything built at start-up (it lives as long as the process) out of future full collections.

    On a large heap a full collection pauses every thread, acks included, for 100 ms and more.
    """
    gc.collect()
    gc.freeze()


def make_server(app: WSGIApplication, *, host: str, port: int, threads: int = 8) -> Any:
    """A waitress server bound to host:port now (port 0 picks a free one; read it from ``.effective_port``)."""
    return create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="rollback-bot",
        max_request_body_size=MAX_BODY_BYTES,
        channel_timeout=30,
        clear_untrusted_proxy_headers=True,
    )


def stop_server(server: Any, *, timeout: float = 5.0) -> None:
    """Stop listening from any thread; requests already being answered get ``timeout`` seconds.

    The listening socket is closed inside the server's own loop (closing it from another thread while that
    loop waits on it crashes the loop with EBADF); then the worker threads finish what they hold.
    """
    closed = threading.Event()

    def close_in_loop() -> None:
        server.close()
        closed.set()

    server.trigger.pull_trigger(close_in_loop)
    closed.wait(timeout)
    server.task_dispatcher.shutdown(timeout=timeout)


def start_in_thread(runtime: Runtime, *, host: str = "127.0.0.1", port: int = 0) -> tuple[Any, str]:
    """Serve in a daemon thread; returns the server (call ``.close()``) and its base URL."""
    server = make_server(runtime.web, host=host, port=port)
    threading.Thread(target=server.run, name="waitress", daemon=True).start()
    return server, f"http://{host}:{server.effective_port}"


class SocketMode:
    """The Socket Mode connection to Slack (events arrive over a WebSocket, no public URL needed)."""

    def __init__(self, runtime: Runtime, app_token: str) -> None:
        if runtime.bolt is None:
            raise ConfigError("Socket Mode needs SLACK_BOT_TOKEN as well as SLACK_APP_TOKEN")
        self.handler = SocketModeHandler(runtime.bolt, app_token)

    def connect(self) -> None:
        """Open the connection once (callers retry).

        Raises:
            ConfigError: Slack refused SLACK_APP_TOKEN (waiting will not help).
            SlackApiError: Slack answered with another error or the WebSocket did not open.
            OSError: Slack could not be reached.
        """
        client = self.handler.client
        client.wss_uri = None  # every attempt asks apps.connections.open for a fresh URL
        try:
            self.handler.connect()  # type: ignore[no-untyped-call]  # slack_bolt leaves it unannotated
        except SdkSlackApiError as exc:
            error = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
            if error in REFUSED:
                raise ConfigError(
                    f"Slack refused SLACK_APP_TOKEN for Socket Mode ({error}): it must be an app-level token "
                    "(xapp-…) with connections:write."
                ) from None
            raise SlackApiError(f"Slack answered apps.connections.open with an error: {error}") from None
        if not client.is_connected():
            raise SlackApiError("the Socket Mode WebSocket did not open; see the log for the handshake error")

    def check(self) -> None:
        """For /health/ready: quiet while connected (the client reconnects by itself after a drop)."""
        if not self.handler.client.is_connected():
            raise SlackApiError("not connected (reconnecting)")

    def close(self) -> None:
        self.handler.close()  # type: ignore[no-untyped-call]


def start_socket_mode(runtime: Runtime, app_token: str) -> SocketModeHandler:
    """Connect to Slack over Socket Mode once; the handler (tests and tools; ``serve`` retries instead)."""
    socket_mode = SocketMode(runtime, app_token)
    try:
        socket_mode.connect()
    except Exception:
        socket_mode.close()
        raise
    return socket_mode.handler
