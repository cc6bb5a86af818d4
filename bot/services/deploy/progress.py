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
    """The progress message: posted once on a thread of its own, then updated in place through the queue; the
    deploy never waits on Slack (updates made before the post returned are folded into the newest one)."""

    POST_WAIT = 10.0  # at the end, how long the first post may still take before its thread message is dropped

    def __init__(self, deps: Deps, channel: str | None, run: DeployRun | None) -> None:
        self._deps, self._channel, self._run = deps, channel, run
        self._lock = threading.Lock()
        self._ts: str | None = None
        self._poster: threading.Thread | None = None
        self._last: DeployProgress | None = None
        self._final: tuple[str, tuple[str, ...]] | None = None

    def update(self, progress: DeployProgress) -> None:
        messages, run, channel = self._deps.deploy_messages, self._run, self._channel
        if messages is None or run is None or not channel:
            return
        with self._lock:
            self._last = progress
            ts = self._ts
            if self._poster is None:
                self._poster = threading.Thread(target=self._post, args=(progress,), name="deploy-post", daemon=True)
                self._poster.start()
                return
        if ts is not None:
            messages.update_deploy(channel, ts, run.id, progress)

    def _post(self, first: DeployProgress) -> None:
        messages, run, channel = self._deps.deploy_messages, self._run, self._channel
        assert messages is not None and run is not None and channel
        try:
            ts = messages.post_deploy(channel, run.id, first)
            if self._deps.deploy_runs is not None:
                self._deps.deploy_runs.set_message(run.id, channel=channel, ts=ts)
        except RollbackBotError as exc:
            log.warning("deploy #%s: progress message not posted: %s", run.id, exc.user_message)
            return
        with self._lock:
            self._ts, last, final = ts, self._last, self._final
        if last is not None and last is not first:
            messages.update_deploy(channel, ts, run.id, last)
        if final is not None:
            messages.post_deploy_thread(channel, ts, run.id, final[0], lines=final[1])

    def finish(self, message: str, evidence: tuple[str, ...]) -> None:
        """The final state in the thread (the message itself shows it already, or says the deploy failed)."""
        messages, run, channel = self._deps.deploy_messages, self._run, self._channel
        if messages is None or run is None or not channel:
            return
        with self._lock:
            last, ts = self._last, self._ts
            if last is not None and not last.state.finished:
                last = self._last = replace(last, state=DeployState.failed, note=message)
            if ts is None:
                self._final = (message, evidence)  # posted by the first post's thread once it has the ts
            poster = self._poster
        if ts is None:
            if poster is not None:
                poster.join(self.POST_WAIT)  # the process may exit next: give the first post its chance
            return
        if last is not None:
            messages.update_deploy(channel, ts, run.id, last)
        messages.post_deploy_thread(channel, ts, run.id, message, lines=evidence)
