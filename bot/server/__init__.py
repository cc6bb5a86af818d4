"""Serving the WSGI app with waitress (the production server), and Socket Mode when configured."""

from __future__ import annotations

import gc
import logging
import threading
from typing import Any

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError as SdkSlackApiError
from waitress.server import create_server

from bot.bootstrap import Runtime
from bot.errors import ConfigError
from bot.web import MAX_BODY_BYTES

log = logging.getLogger("rollback_bot.server")


def freeze_startup_heap() -> None:
    """Keep everything built at start-up (it lives as long as the process) out of future full collections.

    On a large heap a full collection pauses every thread, acks included, for 100 ms and more.
    """
    gc.collect()
    gc.freeze()


def make_server(runtime: Runtime, *, host: str, port: int, threads: int = 8) -> Any:
    """A waitress server bound to host:port (port 0 picks a free one; read it from ``.effective_port``)."""
    return create_server(
        runtime.web,
        host=host,
        port=port,
        threads=threads,
        ident="rollback-bot",
        max_request_body_size=MAX_BODY_BYTES,
        channel_timeout=30,
        clear_untrusted_proxy_headers=True,
    )


def start_in_thread(runtime: Runtime, *, host: str = "127.0.0.1", port: int = 0) -> tuple[Any, str]:
    """Serve in a daemon thread; returns the server (call ``.close()``) and its base URL."""
    server = make_server(runtime, host=host, port=port)
    threading.Thread(target=server.run, name="waitress", daemon=True).start()
    return server, f"http://{host}:{server.effective_port}"


def start_socket_mode(runtime: Runtime, app_token: str) -> SocketModeHandler:
    """Connect to Slack over Socket Mode (events arrive over a WebSocket, no public URL needed)."""
    if runtime.bolt is None:
        raise ConfigError("Socket Mode needs SLACK_BOT_TOKEN as well as SLACK_APP_TOKEN")
    handler = SocketModeHandler(runtime.bolt, app_token)
    try:
        handler.connect()  # type: ignore[no-untyped-call]  # slack_bolt leaves it unannotated
    except SdkSlackApiError as exc:
        raise ConfigError(
            f"Slack refused SLACK_APP_TOKEN for Socket Mode ({exc.response.get('error')}): it must be an app-level "
            "token (xapp-…) with connections:write."
        ) from None
    if not handler.client.is_connected():
        handler.close()  # type: ignore[no-untyped-call]
        raise ConfigError("Could not open the Socket Mode connection to Slack; see the log for the handshake error.")
    return handler
