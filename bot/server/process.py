"""``rollback-bot serve`` as a process an orchestrator can run.

1. Bind the HTTP port first: ``/health/live`` answers 200 from then on, ``/health/ready`` 503 until ready.
2. Build the runtime, then start up in the background: the database (reachable, migrated, schedule) and
   Slack (auth.test, then the Socket Mode connection), each retried with backoff and one log line per
   attempt while ``/health/ready`` says why it is not ready. Only a configuration error (a token Slack
   refuses) ends the process: exit 2 with one line.
3. On SIGTERM or SIGINT, drain (``Runtime.drain``): no new work, work in flight gets up to ``drain_seconds``,
   then exit 0. A second signal exits at once.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from types import FrameType
from typing import TYPE_CHECKING

from bot.bootstrap import build_runtime
from bot.bootstrap.runtime import Drained, Runtime
from bot.config import AppConfig, Settings
from bot.errors import ConfigError
from bot.lifecycle import Backoff, keep_trying
from bot.server import SocketMode, freeze_startup_heap, make_server, stop_server

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("rollback_bot.server")

DRAIN_SECONDS = 25.0
SOCKET_CLOSE_SECONDS = 5.0
# Retries reach a dependency that came back within 5 s (plus jitter) of its return.
STARTUP_BACKOFF = Backoff(first=0.5, cap=5.0)


class _Binding:
    """The WSGI app from the moment the port is bound: alive, starting; then the runtime's own app."""

    def __init__(self) -> None:
        self.app: WSGIApplication | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.app is not None:
            return self.app(environ, start_response)
        live = environ.get("PATH_INFO") == "/health/live"
        body = b'{"status": "ok"}' if live else b'{"status": "starting"}'
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        start_response("200 OK" if live else "503 Service Unavailable", headers)
        return [body]


class Startup:
    """The start-up steps, each in its own thread, retried until they succeed or the process stops."""

    def __init__(
        self, runtime: Runtime, settings: Settings, *, migrate_db: bool, announce: Callable[[str], None]
    ) -> None:
        self.runtime = runtime
        self.stop = threading.Event()
        self.fatal: ConfigError | None = None
        self._migrate_db = migrate_db
        self._announce = announce
        self._slack = runtime.bolt is not None
        token = settings.slack_app_token
        self._socket = SocketMode(runtime, token) if self._slack and token else None
        readiness = runtime.readiness
        readiness.starting("database")
        if self._slack:
            readiness.starting("slack")
        if self._socket is not None:
            readiness.add("socket_mode", self._socket.check, required=False)
            readiness.starting("socket_mode", "not connected yet")
            runtime.stop_intake.append(self._close_socket)

    def begin(self) -> None:
        threading.Thread(target=self._guarded, args=(self._database,), name="startup-database", daemon=True).start()
        if self._slack:
            threading.Thread(target=self._guarded, args=(self._slack_steps,), name="startup-slack", daemon=True).start()

    def _guarded(self, steps: Callable[[], None]) -> None:
        try:
            steps()
        except ConfigError as exc:
            self.fatal = exc
            self.stop.set()

    def _step(self, name: str, what: str, step: Callable[[], None]) -> bool:
        def failed(reason: str) -> None:
            self.runtime.readiness.starting(name, reason)

        if not keep_trying(step, what=f"start-up: {what}", stop=self.stop, backoff=STARTUP_BACKOFF, on_failure=failed):
            return False
        self.runtime.readiness.started(name)
        return True

    def _database(self) -> None:
        if self._step("database", "database", lambda: self.runtime.start_database(migrate_db=self._migrate_db)):
            log.info("database ready%s; schedule running", " (migrated to head)" if self._migrate_db else "")

    def _slack_steps(self) -> None:
        slack_auth = self.runtime.slack_auth
        if slack_auth is None or not self._step("slack", "Slack auth.test", slack_auth):
            return
        log.info("Slack accepted the bot token")
        if self._socket is not None and self._step("socket_mode", "Socket Mode connection", self._socket.connect):
            self._announce("connected to Slack over Socket Mode")

    def _close_socket(self) -> None:
        """Stop taking envelopes; closing waits on the client's threads, so it is bounded."""
        if self._socket is None:
            return
        closing = threading.Thread(target=self._socket.close, name="socket-mode-close", daemon=True)
        closing.start()
        closing.join(SOCKET_CLOSE_SECONDS)


class _Signals:
    """SIGTERM and SIGINT set a flag (a handler must not take locks); a second one exits at once."""

    def __init__(self) -> None:
        self.received: str | None = None
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.received is not None:
            os.write(2, f"{name} again: exiting without waiting for the drain\n".encode())
            os._exit(128 + signum)
        self.received = name


def serve(
    settings: Settings,
    config: AppConfig,
    *,
    host: str,
    port: int,
    announce: Callable[[str], None],
    migrate_db: bool = True,
    drain_seconds: float = DRAIN_SECONDS,
) -> None:
    """Run until SIGTERM/SIGINT (then drain and return) or a configuration error (raised after clean-up)."""
    signals = _Signals()
    binding = _Binding()
    try:
        server = make_server(binding, host=host, port=port)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    threading.Thread(target=server.run, name="waitress", daemon=True).start()
    announce(f"rollback-bot listening on http://{host}:{server.effective_port} (starting: see /health/ready)")
    try:
        runtime = build_runtime(settings, config, migrate_db=False, check_db=False)  # Startup does it, retried
    except BaseException:
        stop_server(server)
        raise
    startup = Startup(runtime, settings, migrate_db=migrate_db, announce=announce)
    binding.app = runtime.web
    freeze_startup_heap()
    startup.begin()
    while signals.received is None and not startup.stop.is_set():
        time.sleep(0.2)
    startup.stop.set()
    runtime.readiness.drain()  # refusing new work before the log says so (drain() repeats it, harmlessly)
    if startup.fatal is None:
        log.info("%s: draining: new Slack work refused, up to %g s for work in flight", signals.received, drain_seconds)
    drained = runtime.drain(time.monotonic() + drain_seconds)
    _report(drained)
    stop_server(server)
    if not drained.complete:
        logging.shutdown()
        os._exit(0)  # threads still running would hold the interpreter open; what they did is in the database
    runtime.close()
    if startup.fatal is not None:
        raise startup.fatal


def _report(drained: Drained) -> None:
    if drained.undelivered:
        log.warning("%d Slack message(s) not delivered before the exit", drained.undelivered)
    if drained.complete:
        log.info("drained in %.1f s; exiting", drained.seconds)
        return
    left = [
        f"{drained.executions} execution(s)" if drained.executions else "",
        f"{drained.listeners} listener(s)" if drained.listeners else "",
        "a scheduled job" if drained.scheduled else "",
    ]
    handed = ", ".join(f"#{n}" for n in drained.handed_over) or "none"
    log.warning(
        "drain deadline reached after %.1f s with %s still running; exiting (executions handed over to another "
        "replica, which resumes them from live state: %s)",
        drained.seconds,
        ", ".join(x for x in left if x),
        handed,
    )
