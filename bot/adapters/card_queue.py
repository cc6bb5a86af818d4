"""Slack off the critical path: card updates and thread messages go through a queue per request.

``QueuedNotifier`` is the bot's ``Notifier``. ``update_card`` and ``post_thread`` only enqueue and return:
an approval or an execution never waits on Slack, and nothing Slack does raises into them. Workers deliver
in the background:

* **merged**: a request's card has at most one update waiting, the newest (by the request's version, then
  its progress); an older one is dropped, never delivered after a newer one; an update superseded by a
  newer version of the request (another replica moved it on) is dropped too;
* **Retry-After honoured**: a 429 holds that request's deliveries back for as long as Slack said; transient
  errors and an unreachable Slack back off (doubling, capped) and are retried a bounded number of times;
* **counted**: what is given up (retries exhausted, or an error that will not go away) is logged and
  counted (``notifications_undelivered``); the card catches up with the next update that gets through.

``post_card``, ``post_checklist``, ``post_drift`` and ``post_proof`` are answered at once: their callers need the
message's ts (and the proof's watch retries a failed post itself).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.adapters.slack_notifier import SlackNotifier
from bot.domain.deploy import DeployProgress
from bot.domain.plan import Plan, StepResult
from bot.domain.readiness import ChecklistReport
from bot.domain.recovery import CardProof, Evidence
from bot.domain.releases import DriftReport, ItemDiff
from bot.domain.rollback_requests import RollbackRequest
from bot.domain.tree import FlowState
from bot.errors import SlackDeliveryError
from bot.ports.metrics import Metrics
from bot.ports.notify import DeployMessages, Notifier, PostedMessage
from bot.text import Mention, Text

log = logging.getLogger("rollback_bot.notifier")


@dataclass(frozen=True)
class DeliveryPolicy:
    """Retries: ``attempts`` tries per message, ``first`` seconds after the first failure, doubling up to ``cap``."""

    attempts: int = 12
    first: float = 0.5
    cap: float = 15.0
    workers: int = 2

    def delay(self, failures: int) -> float:
        return float(min(self.first * 2 ** (failures - 1), self.cap))


@dataclass(frozen=True)
class _Card:
    key: tuple[int, int, int]  # request version, steps shown, enqueue order: larger is newer
    request: RollbackRequest
    plan: Plan[Any]
    args: dict[str, Any]


@dataclass(frozen=True)
class _Thread:
    request: RollbackRequest
    text: Text | str
    lines: tuple[str, ...]
    steps: tuple[StepResult, ...] = ()


@dataclass(frozen=True)
class _Call:
    """A queued message that is not a request's: a deploy's progress update or thread post."""

    key: tuple[int, int, int]
    what: str
    send: Callable[[SlackNotifier], None]


@dataclass
class _Box:
    """One request's pending deliveries."""

    card: _Card | _Call | None = None
    threads: deque[_Thread | _Call] = field(default_factory=deque)
    delivered: tuple[int, int, int] | None = None
    not_before: float = 0.0
    failures: int = 0
    busy: bool = False

    @property
    def waiting(self) -> int:
        return (self.card is not None) + len(self.threads)


class QueuedNotifier(Notifier, DeployMessages):
    """The notifier of the bot: ``sender`` makes the queued calls, from worker threads started on first use
    (give it a client without retries of its own: the queue retries); ``poster`` answers the calls made at
    once (default: ``sender``)."""

    def __init__(
        self,
        sender: SlackNotifier,
        metrics: Metrics,
        *,
        poster: SlackNotifier | None = None,
        current_version: Callable[[int], int] | None = None,
        policy: DeliveryPolicy | None = None,
    ) -> None:
        self._sender = sender
        self._poster = poster or sender
        self._metrics = metrics
        self._current_version = current_version
        self._policy = policy or DeliveryPolicy()
        self._cond = threading.Condition()
        self._boxes: dict[int, _Box] = {}
        self._order = itertools.count()
        self._workers: list[threading.Thread] = []
        self._closed = False

    # --- Notifier -------------------------------------------------------------------------------------

    def post_card(self, request: RollbackRequest, plan: Plan[Any], *, approvers: Sequence[Mention]) -> str:
        return self._poster.post_card(request, plan, approvers=approvers)

    def post_checklist(self, channel: str, report: ChecklistReport) -> str:
        return self._poster.post_checklist(channel, report)

    def post_drift(
        self, channel: str, report: DriftReport, diffs: Sequence[ItemDiff], *, rollback: FlowState | None
    ) -> str:
        return self._poster.post_drift(channel, report, diffs, rollback=rollback)

    def post_proof(self, request: RollbackRequest, evidence: Evidence | None, problem: str | None) -> PostedMessage:
        return self._poster.post_proof(request, evidence, problem)  # its watch retries a failed post itself

    def update_card(
        self,
        request: RollbackRequest,
        plan: Plan[Any],
        *,
        steps: Sequence[StepResult] = (),
        note: Text | str = "",
        proof: CardProof | None = None,
    ) -> None:
        if not request.message_ts:
            return
        args = {"steps": steps, "note": note, "proof": proof}
        card = _Card((request.version, len(steps), next(self._order)), request, plan, args)
        with self._cond:
            box = self._boxes.setdefault(request.id, _Box())
            newest = max(k for k in (card.key, box.delivered, box.card.key if box.card else None) if k is not None)
            if card.key == newest:
                box.card = card
            self._wake()

    def post_thread(
        self,
        request: RollbackRequest,
        text: Text | str,
        *,
        lines: Sequence[str] = (),
        steps: Sequence[StepResult] = (),
    ) -> None:
        with self._cond:
            self._boxes.setdefault(request.id, _Box()).threads.append(
                _Thread(request, text, tuple(lines), tuple(steps))
            )
            self._wake()

    # --- DeployMessages (a deploy's queue is keyed by -run id: never a request's) ---------------------

    def post_deploy(self, channel: str, run_id: int, progress: DeployProgress) -> str:
        return self._poster.post_deploy(channel, run_id, progress)

    def update_deploy(self, channel: str, ts: str, run_id: int, progress: DeployProgress) -> None:
        call = _Call(
            (0, 0, next(self._order)),
            f"deploy #{run_id} message",
            lambda sender: sender.update_deploy(channel, ts, run_id, progress),
        )
        with self._cond:
            box = self._boxes.setdefault(-run_id, _Box())
            box.card = call  # the newest progress replaces one not delivered yet
            self._wake()

    def post_deploy_thread(
        self, channel: str, ts: str, run_id: int, text: Text | str, *, lines: Sequence[str] = ()
    ) -> None:
        call = _Call(
            (0, 0, next(self._order)),
            f"deploy #{run_id} thread",
            lambda sender: sender.post_deploy_thread(channel, ts, run_id, text, lines=lines),
        )
        with self._cond:
            self._boxes.setdefault(-run_id, _Box()).threads.append(call)
            self._wake()

    # --- lifecycle ------------------------------------------------------------------------------------

    def pending(self) -> int:
        """Messages not delivered yet."""
        with self._cond:
            return sum(box.waiting for box in self._boxes.values())

    def flush(self, deadline: float) -> int:
        """Wait until everything queued is delivered or given up, or ``time.monotonic()`` passes ``deadline``;
        returns what is still waiting."""
        with self._cond:
            while any(box.waiting or box.busy for box in self._boxes.values()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return sum(box.waiting for box in self._boxes.values())

    def close(self) -> None:
        """Stop the workers; what was never delivered is logged and counted."""
        with self._cond:
            self._closed = True
            left = [(request_id, box.waiting) for request_id, box in self._boxes.items() if box.waiting]
            self._boxes.clear()
            self._cond.notify_all()
        for request_id, count in left:
            log.warning("request #%s: %d Slack message(s) not delivered before shutdown", request_id, count)
            self._metrics.count("notifications_undelivered", what="shutdown")
        for worker in self._workers:
            worker.join(timeout=1.0)

    # --- delivery -------------------------------------------------------------------------------------

    def _wake(self) -> None:
        """(Under the lock.) Start the workers on first use; wake one."""
        if not self._workers and not self._closed:
            for n in range(self._policy.workers):
                worker = threading.Thread(target=self._work, name=f"slack-cards-{n}", daemon=True)
                self._workers.append(worker)
                worker.start()
        self._cond.notify()

    def _take(self) -> tuple[int, _Box, _Card | _Thread | _Call] | None:
        """(Under the lock.) Wait for a request with something due; None once closed."""
        while not self._closed:
            now, due = time.monotonic(), None
            for request_id, box in self._boxes.items():
                if box.busy or not box.waiting:
                    continue
                if box.not_before <= now:
                    box.busy = True
                    return request_id, box, box.card or box.threads[0]
                due = box.not_before if due is None else min(due, box.not_before)
            self._cond.wait(None if due is None else due - now)
        return None

    def _work(self) -> None:
        while True:
            with self._cond:
                taken = self._take()
            if taken is None:
                return
            request_id, box, item = taken
            failure = self._deliver(item)
            with self._cond:
                self._settle(request_id, box, item, failure)
                self._cond.notify_all()

    def _deliver(self, item: _Card | _Thread | _Call) -> SlackDeliveryError | None:
        if isinstance(item, _Call):
            try:
                item.send(self._sender)
            except SlackDeliveryError as exc:
                return exc
            except Exception as exc:  # a bug building the message: retrying will not help
                log.exception("%s could not be built", item.what)
                return SlackDeliveryError(f"could not build the message ({type(exc).__name__})", permanent=True)
            return None
        try:
            if isinstance(item, _Thread):
                self._sender.post_thread(item.request, item.text, lines=item.lines, steps=item.steps)
            elif not self._superseded(item):
                self._sender.update_card(item.request, item.plan, **item.args)
        except SlackDeliveryError as exc:
            return exc
        except Exception as exc:  # a bug building the message: retrying will not help
            log.exception("request #%s: Slack message could not be built", item.request.id)
            return SlackDeliveryError(f"could not build the message ({type(exc).__name__})", permanent=True)
        return None

    def _superseded(self, card: _Card) -> bool:
        """True when the request moved on since this update was made (another replica shows the newer state)."""
        if self._current_version is None:
            return False
        try:
            return self._current_version(card.request.id) > card.request.version
        except Exception:  # the database is unreachable: deliver what we have
            return False

    def _settle(
        self, request_id: int, box: _Box, item: _Card | _Thread | _Call, failure: SlackDeliveryError | None
    ) -> None:
        """(Under the lock.) Record a delivery: done, to be retried later, or given up."""
        box.busy = False
        if failure is None or failure.permanent or box.failures + 1 >= self._policy.attempts:
            if failure is not None:
                what = "thread" if isinstance(item, _Thread) else ("deploy" if isinstance(item, _Call) else "card")
                log.warning("request #%s: Slack %s message given up: %s", request_id, what, failure.user_message)
                self._metrics.count("notifications_undelivered", what=what)
            self._done(box, item, delivered=failure is None)
        else:
            box.failures += 1
            box.not_before = time.monotonic() + max(failure.retry_after or 0.0, self._policy.delay(box.failures))
        if not box.waiting and request_id in self._boxes and box.card is None:
            del self._boxes[request_id]

    @staticmethod
    def _done(box: _Box, item: _Card | _Thread | _Call, *, delivered: bool) -> None:
        box.failures = 0
        if isinstance(item, _Thread) or (isinstance(item, _Call) and box.threads and box.threads[0] is item):
            box.threads.popleft()
            return
        if delivered:
            box.delivered = item.key
        if box.card is item:
            box.card = None
