"""A deploy's two companions: what stops it (a signal, an Abort stored in the database) and its Slack message."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bot.domain.deploy import DeployProgress, DeployState
from bot.errors import DeployStoppedError, RollbackBotError
from bot.ports.deploys import DeployRun
from bot.services import Deps

log = logging.getLogger("rollback_bot.deploy")


@dataclass
class Watch:
    """Stops a deploy: SIGTERM/Ctrl-C (``stop``) or an Abort stored in the database (seen on every replica)."""

    deps: Deps
    stop: threading.Event
    run_id: int | None = None
    aborted_by: str | None = None
    poll: float = 1.0
    sleep: Callable[[threading.Event, float], bool] = field(default=lambda event, seconds: event.wait(seconds))

    def check(self) -> None:
        if self.stop.is_set():
            raise DeployStoppedError("stopped by a signal (SIGTERM or Ctrl-C)")
        if self.run_id is not None and self.deps.deploy_runs is not None:
            run = self.deps.deploy_runs.get(self.run_id)
            if run.abort_by:
                self.aborted_by = run.abort_by
                raise DeployStoppedError(f"aborted by {run.abort_by}")

    def pause(self, seconds: float) -> None:
        """Wait ``seconds``, looking at the stop signal and the abort flag at least every ``poll`` seconds."""
        deadline = time.monotonic() + max(seconds, 0.0)
        self.check()
        while (left := deadline - time.monotonic()) > 0:
            self.sleep(self.stop, min(left, self.poll))
            self.check()


class Progress:
    """The progress message: posted once, then updated in place through the queue (never on the critical path)."""

    def __init__(self, deps: Deps, channel: str | None, run: DeployRun | None) -> None:
        self._deps, self._channel, self._run = deps, channel, run
        self._ts: str | None = None
        self._tried = False
        self._last: DeployProgress | None = None

    def update(self, progress: DeployProgress) -> None:
        self._last = progress
        messages, run = self._deps.deploy_messages, self._run
        if messages is None or run is None or not self._channel:
            return
        if not self._tried:
            self._tried = True
            try:
                self._ts = messages.post_deploy(self._channel, run.id, progress)
            except RollbackBotError as exc:
                log.warning("deploy #%s: progress message not posted: %s", run.id, exc.user_message)
                return
            if self._deps.deploy_runs is not None:
                self._deps.deploy_runs.set_message(run.id, channel=self._channel, ts=self._ts)
            return
        if self._ts is not None:
            messages.update_deploy(self._channel, self._ts, run.id, progress)

    def finish(self, message: str, evidence: tuple[str, ...]) -> None:
        messages, run = self._deps.deploy_messages, self._run
        if messages is None or run is None or self._ts is None or not self._channel:
            return
        if self._last is not None and not self._last.state.finished:
            messages.update_deploy(
                self._channel, self._ts, run.id, replace(self._last, state=DeployState.failed, note=message)
            )
        messages.post_deploy_thread(self._channel, self._ts, run.id, message, lines=evidence)
