"""The card queue against the Slack fake: never blocks or raises, merges, honours Retry-After, gives up bounded."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient

from bot.adapters.card_queue import DeliveryPolicy, QueuedNotifier
from bot.adapters.slack_notifier import SlackNotifier
from bot.domain.kinds import CODE
from bot.domain.plan import Plan, StepResult
from bot.domain.rollback_requests import RequestStatus, RollbackRequest, ServiceEnv
from sandbox.emulators.slack import SlackFake
from tests.fakes import FakeMetrics

CHANNEL = "C0INCIDENT"
PLAN: Plan[object] = Plan.blocked(CODE, "shown only", current_text="v2: 100 %", desired_text="v1: 100 %")  # type: ignore[type-var]
FAST = DeliveryPolicy(attempts=4, first=0.05, cap=0.2)


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    fake = SlackFake().start()
    fake.add_channel(CHANNEL, name="inc-pharmabot")
    try:
        yield fake
    finally:
        fake.stop()


def _queue(slack: SlackFake, metrics: FakeMetrics, **kwargs: object) -> QueuedNotifier:
    client = WebClient(token=slack.bot_token, base_url=slack.api_url, timeout=2, retry_handlers=[])
    return QueuedNotifier(SlackNotifier(client), metrics, **{"policy": FAST, **kwargs})  # type: ignore[arg-type]


def _request(queue: QueuedNotifier) -> RollbackRequest:
    now = datetime.now(UTC)
    request = RollbackRequest(
        id=7,
        target=ServiceEnv("pharmabot", "prod"),
        kind=CODE,
        status=RequestStatus.approved,
        requester_id="U0ALICE",
        channel_id=CHANNEL,
        emergency=True,
        reason="v2 fails",
        plan={},
        created_at=now,
        expires_at=now + timedelta(minutes=15),
        version=2,
    )
    return replace(request, message_ts=queue.post_card(request, PLAN, approvers=()))


def _card(slack: SlackFake, ts: str | None) -> str:
    return json.dumps(slack.message(CHANNEL, ts or ""))


def _wait(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_updates_while_slack_is_unreachable_are_merged_and_the_newest_arrives_when_it_returns(slack: SlackFake) -> None:
    queue = _queue(slack, FakeMetrics(), policy=DeliveryPolicy(attempts=50, first=0.05, cap=0.1))
    request = _request(queue)
    slack.unreachable()
    started = time.monotonic()
    executing = replace(request, status=RequestStatus.executing, version=3)
    done = replace(request, status=RequestStatus.succeeded, version=4)
    queue.update_card(executing, PLAN, steps=[StepResult("shift traffic", True, 0.1, "")], note="Executing…")
    queue.update_card(done, PLAN, note="Succeeded in 3.0 s.")
    queue.update_card(executing, PLAN, steps=[StepResult("verify traffic", True, 0.1, "")] * 2, note="late, older")
    queue.post_thread(done, "Rollback verified.")
    assert time.monotonic() - started < 0.1  # nothing waited on Slack
    time.sleep(0.3)
    slack.reset_calls()
    slack.unreachable(False)
    assert queue.flush(time.monotonic() + 10) == 0
    updates = slack.calls_to("chat.update")
    assert len(updates) == 1 and "Succeeded" in json.dumps(updates[0].body)  # merged: only the newest went out
    assert "Succeeded in 3.0 s." in _card(slack, request.message_ts) and "late, older" not in _card(
        slack, request.message_ts
    )
    assert [m["text"] for m in slack.thread(CHANNEL, request.message_ts or "")][-1] == "Rollback verified."
    queue.close()


def test_retry_after_is_honoured_without_holding_up_the_caller(slack: SlackFake) -> None:
    queue = _queue(slack, FakeMetrics())
    request = _request(queue)
    slack.fail_next("chat.update", "ratelimited", retry_after=2)
    started = time.monotonic()
    queue.update_card(replace(request, status=RequestStatus.executing, version=3), PLAN, note="Approved by bob")
    assert time.monotonic() - started < 0.1
    _wait(lambda: "Executing" in _card(slack, request.message_ts))
    calls = slack.calls_to("chat.update")
    assert [c.error for c in calls] == ["ratelimited", None]
    assert calls[1].at - calls[0].at >= 1.9  # not before Slack said
    queue.close()


def test_what_cannot_be_delivered_is_given_up_after_bounded_retries_logged_and_counted(
    slack: SlackFake, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = FakeMetrics()
    queue = _queue(slack, metrics)
    request = _request(queue)
    slack.unreachable()
    queue.update_card(replace(request, version=3), PLAN, note="never seen")
    queue.post_thread(request, "never seen either")
    assert queue.flush(time.monotonic() + 10) == 0
    assert ("notifications_undelivered", {"what": "card"}) in metrics.counts
    assert ("notifications_undelivered", {"what": "thread"}) in metrics.counts
    assert "given up" in caplog.text and "unreachable" in caplog.text
    queue.close()


def test_a_refused_update_is_not_retried(slack: SlackFake) -> None:
    metrics = FakeMetrics()
    queue = _queue(slack, metrics)
    request = _request(queue)
    slack.fail_next("chat.update", "message_not_found")
    queue.update_card(replace(request, version=3), PLAN, note="gone")
    assert queue.flush(time.monotonic() + 10) == 0
    assert len(slack.calls_to("chat.update")) == 1
    assert metrics.counts == [("notifications_undelivered", {"what": "card"})]
    queue.close()


def test_an_update_superseded_on_another_replica_is_dropped(slack: SlackFake) -> None:
    queue = _queue(slack, FakeMetrics(), current_version=lambda request_id: 9)
    request = _request(queue)
    queue.update_card(replace(request, version=3), PLAN, note="Approved by bob; executing…")
    assert queue.flush(time.monotonic() + 10) == 0
    assert slack.calls_to("chat.update") == []
    queue.close()
