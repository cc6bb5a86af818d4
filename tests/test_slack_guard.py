"""The shape check in front of Bolt: what Slack sends passes, what makes Bolt fail before a listener is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.slack.guard import malformed
from sandbox.emulators.slack import SlackFake, SlackUser
from sandbox.emulators.slack.requests import SlackRequestFactory

FORM, JSON = "application/x-www-form-urlencoded", "application/json"


@pytest.fixture(scope="module")
def factory() -> Iterator[SlackRequestFactory]:
    with SlackFake() as fake:
        fake.add_user(SlackUser(id="U0ALICE", name="alice"))
        fake.add_channel("C0INCIDENT", name="inc")
        yield SlackRequestFactory("s", fake=fake)


def _payload(signed_body: str) -> dict:
    return json.loads(dict(parse_qsl(signed_body))["payload"])


def test_what_slack_sends_passes(factory: SlackRequestFactory) -> None:
    view = {"id": "V1", "type": "modal", "callback_id": "rollback-flow-plan", "private_metadata": "{}", "blocks": []}
    sent = [
        (factory.slash_command("U0ALICE", "C0INCIDENT", "help").body, FORM),
        (factory.view_submission("U0ALICE", view, {}).body, FORM),
        (factory.block_action_view("U0ALICE", view, "rollback-proceed", "x").body, FORM),
        (factory.block_action_message("U0ALICE", "C0INCIDENT", "1.0", "rollback-approve", "{}").body, FORM),
        (factory.app_home_opened("U0ALICE").body, JSON),
        (factory.url_verification("challenge").body, JSON),
        ("", FORM),
    ]
    for body, content_type in sent:
        assert malformed(body, content_type) is None, body


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda p: p["view"].pop("type"), "view.type is missing"),
        (lambda p: p.update(view=None), "payload.view is not an object"),
        (lambda p: p.update(user=5), "payload.user is neither an id nor an object"),
        (lambda p: p.update(event=None), "payload.event is not an object"),
        (lambda p: p.update(response_url="javascript:alert(1)"), "payload.response_url is not an http(s) URL"),
        (lambda p: p["view"]["state"].update(values=[]), "payload.view.state has no values object"),
        (lambda p: p["view"].update(private_metadata={"a": 1}), "payload.view.private_metadata is not a string"),
        (lambda p: p.update(response_urls=None), "payload.response_urls is not a list"),  # found by the fuzz suite
        (lambda p: p.update(response_urls=[{}, {}]), "payload.response_urls has more than one"),  # the fuzz suite
    ],
)
def test_a_view_submission_bolt_cannot_parse_is_refused(factory: SlackRequestFactory, change, reason: str) -> None:  # type: ignore[no-untyped-def]
    view = {"id": "V1", "type": "modal", "callback_id": "c", "private_metadata": "{}", "blocks": []}
    payload = _payload(factory.view_submission("U0ALICE", view, {}).body)
    change(payload)
    said = malformed(urlencode({"payload": json.dumps(payload)}), FORM)
    assert said is not None and said.startswith(reason), said


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        ("payload=notjson", FORM, "payload is not JSON"),
        ("payload=%5B1%5D", FORM, "payload is not a JSON object"),
        ("[1, 2]", JSON, "the body is not a JSON object"),
        ("command=/rollback&text=help", FORM, "a slash command without user_id"),
        ('{"type": "block_actions", "user": {"id": "U1"}, "actions": "x"}', JSON, "payload.actions is not a list"),
        ('{"type": "block_actions", "user": {"id": "U1"}, "actions": []}', JSON, "block_actions without actions"),
        ('{"type": "event_callback", "event": {"type": "x", "user": 5}}', JSON, "payload.event.user is neither"),
        ('{"ssl_check": "1"}', JSON, "payload: an ssl_check without a token"),
    ],
)
def test_bodies_slack_never_sends_are_refused(body: str, content_type: str, reason: str) -> None:
    said = malformed(body, content_type)
    assert said is not None and said.startswith(reason), said
