"""Signed requests built like Slack's, dispatched through a real Bolt App wired to the Slack fake."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote_plus
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from sandbox.emulators.slack import SlackFake, SlackUser
from sandbox.emulators.slack.requests import SignedRequest, SlackRequestFactory

SECRET = "test-signing-secret"
CHANNEL = "C0INCIDENT"
APPROVE = {
    "type": "actions",
    "block_id": "decision",
    "elements": [
        {
            "type": "button",
            "action_id": "approve",
            "value": "rb-1",
            "style": "primary",
            "text": {"type": "plain_text", "text": "Approve"},
        }
    ],
}
KIND_OPTIONS = [{"text": {"type": "plain_text", "text": k}, "value": k} for k in ("code", "prompt")]
KIND_SELECT = {
    "type": "section",
    "block_id": "kind",
    "text": {"type": "mrkdwn", "text": "What changed?"},
    "accessory": {"type": "static_select", "action_id": "kind_select", "options": KIND_OPTIONS},
}
REASON = {
    "type": "input",
    "block_id": "reason",
    "label": {"type": "plain_text", "text": "Reason"},
    "element": {"type": "plain_text_input", "action_id": "reason_input"},
}
MODAL = {
    "type": "modal",
    "callback_id": "rollback_modal",
    "private_metadata": "pharmabot/prod",
    "title": {"type": "plain_text", "text": "Rollback"},
    "submit": {"type": "plain_text", "text": "Next"},
    "blocks": [KIND_SELECT, REASON],
}


@pytest.fixture
def fake() -> Iterator[SlackFake]:
    with SlackFake() as fake:
        fake.add_user(SlackUser(id="U0ALICE", name="alice", real_name="Alice Responder"))
        fake.add_user(SlackUser(id="U0BOB", name="bob", real_name="Bob Approver"))
        fake.add_channel(CHANNEL, name="inc-pharmabot")
        yield fake


@pytest.fixture
def factory(fake: SlackFake) -> SlackRequestFactory:
    return SlackRequestFactory(SECRET, fake=fake)


@pytest.fixture
def app(fake: SlackFake) -> App:
    return App(
        client=WebClient(token=fake.bot_token, base_url=fake.api_url),
        signing_secret=SECRET,
        token_verification_enabled=False,
        process_before_response=True,
    )


def payload_of(request: SignedRequest) -> dict[str, Any]:
    form = dict(parse_qsl(request.body))
    decoded: dict[str, Any] = json.loads(form["payload"])
    return decoded


def test_slash_command_reaches_the_listener_with_slacks_fields(
    fake: SlackFake, factory: SlackRequestFactory, app: App
) -> None:
    seen: list[dict[str, Any]] = []

    @app.command("/rollback")
    def rollback(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack("Rolling back…")
        seen.append(command)
        client.views_open(trigger_id=command["trigger_id"], view=MODAL)
        respond("Opened the rollback form")

    request = factory.slash_command("U0ALICE", CHANNEL, "pharmabot prod")
    response = app.dispatch(request.to_bolt())
    assert (response.status, response.body) == (200, "Rolling back…")
    assert set(seen[0]) == {
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    }
    assert (seen[0]["user_name"], seen[0]["text"], seen[0]["command"]) == ("alice", "pharmabot prod", "/rollback")
    [view] = fake.views().values()
    assert view["callback_id"] == "rollback_modal"
    assert [e["text"] for e in fake.ephemerals(CHANNEL, "U0ALICE")] == ["Opened the rollback form"]
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "text=pharmabot+prod" in request.body


def test_block_action_on_a_message_then_replace_original(
    fake: SlackFake, factory: SlackRequestFactory, app: App
) -> None:
    ts = WebClient(token=fake.bot_token, base_url=fake.api_url).chat_postMessage(
        channel=CHANNEL, text="Approve rollback rb-1?", blocks=[APPROVE]
    )["ts"]
    clicks: list[dict[str, Any]] = []

    @app.action("approve")
    def approve(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        clicks.append(body)
        respond(text=f"Approved by <@{body['user']['id']}>", replace_original=True)

    request = factory.block_action_message("U0BOB", CHANNEL, ts, "approve", "rb-1")
    assert app.dispatch(request.to_bolt()).status == 200
    body = clicks[0]
    assert set(body) >= {
        "type",
        "user",
        "api_app_id",
        "token",
        "container",
        "trigger_id",
        "team",
        "enterprise",
        "is_enterprise_install",
        "channel",
        "message",
        "response_url",
        "actions",
    }
    assert body["container"] == {"type": "message", "message_ts": ts, "channel_id": CHANNEL, "is_ephemeral": False}
    assert body["user"] == {"id": "U0BOB", "username": "bob", "name": "bob", "team_id": "T0ROLLBACK"}
    assert body["message"]["blocks"] == [APPROVE] and body["enterprise"] is None
    action = body["actions"][0]
    assert (action["block_id"], action["value"], action["type"], action["text"]["text"]) == (
        "decision",
        "rb-1",
        "button",
        "Approve",
    )
    [card] = fake.messages(CHANNEL)
    assert (card["ts"], card["text"], card["blocks"]) == (ts, "Approved by <@U0BOB>", None)


def test_block_action_on_an_ephemeral_message(fake: SlackFake, factory: SlackRequestFactory) -> None:
    client = WebClient(token=fake.bot_token, base_url=fake.api_url)
    ts = client.chat_postEphemeral(channel=CHANNEL, user="U0ALICE", text="Confirm?", blocks=[APPROVE])["message_ts"]
    payload = payload_of(factory.block_action_message("U0ALICE", CHANNEL, ts, "approve", "rb-1"))
    assert payload["container"]["is_ephemeral"] is True and "message" not in payload


def test_block_action_in_a_modal_then_views_update_with_hash(
    fake: SlackFake, factory: SlackRequestFactory, app: App
) -> None:
    client = WebClient(token=fake.bot_token, base_url=fake.api_url)
    view = client.views_open(trigger_id=fake.issue_trigger_id("U0ALICE"), view=MODAL)["view"]

    @app.action("kind_select")
    def pick_kind(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        picked = action["selected_option"]["value"]
        assert body["view"]["state"]["values"]["kind"]["kind_select"]["selected_option"]["value"] == picked
        client.views_update(
            view_id=body["view"]["id"], hash=body["view"]["hash"], view={**MODAL, "private_metadata": picked}
        )

    option = KIND_OPTIONS[1]
    request = factory.block_action_view("U0ALICE", view, "kind_select", selected_option=option)
    payload = payload_of(request)
    assert payload["container"] == {"type": "view", "view_id": view["id"]}
    assert "response_url" not in payload and "channel" not in payload
    assert app.dispatch(request.to_bolt()).status == 200
    assert fake.views()[view["id"]]["private_metadata"] == "prompt"
    stale = factory.block_action_view("U0ALICE", view, "kind_select", selected_option=option)
    assert app.dispatch(stale.to_bolt()).status == 500  # views.update raised hash_conflict


def test_view_submission_reaches_the_listener_and_can_answer_errors(
    fake: SlackFake, factory: SlackRequestFactory, app: App
) -> None:
    view = WebClient(token=fake.bot_token, base_url=fake.api_url).views_open(
        trigger_id=fake.issue_trigger_id("U0ALICE"), view=MODAL
    )["view"]

    @app.view("rollback_modal")
    def submit(ack: Ack, view: dict[str, Any]) -> None:
        reason = view["state"]["values"]["reason"]["reason_input"]["value"]
        if reason:
            ack()
        else:
            ack(response_action="errors", errors={"reason": "Say why"})

    values = {"reason": {"reason_input": {"value": None}}}
    refused = app.dispatch(factory.view_submission("U0ALICE", view, values).to_bolt())
    assert (refused.status, json.loads(refused.body)) == (
        200,
        {"response_action": "errors", "errors": {"reason": "Say why"}},
    )
    request = factory.view_submission("U0ALICE", view, {"reason": {"reason_input": {"value": "bad prompt"}}})
    payload = payload_of(request)
    assert payload["response_urls"] == [] and payload["view"]["private_metadata"] == "pharmabot/prod"
    assert payload["view"]["state"]["values"]["reason"]["reason_input"] == {
        "type": "plain_text_input",
        "value": "bad prompt",
    }
    accepted = app.dispatch(request.to_bolt())
    assert (accepted.status, accepted.body) == (200, "")
    assert fake.views()[view["id"]]["state"]["values"]["reason"]["reason_input"]["value"] == "bad prompt"
    fake.apply_view_response(view["id"], accepted.body)
    assert fake.views() == {}


def test_app_home_opened_event_and_publish(fake: SlackFake, factory: SlackRequestFactory, app: App) -> None:
    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [KIND_SELECT]})

    request = factory.app_home_opened("U0ALICE")
    body = json.loads(request.body)
    assert (body["type"], body["event"]["tab"], body["authorizations"][0]["user_id"]) == (
        "event_callback",
        "home",
        fake.bot_user_id,
    )
    assert body["event_id"].startswith("Ev") and isinstance(body["event_time"], int) and "view" not in body["event"]
    assert app.dispatch(request.to_bolt()).status == 200
    home_view = fake.home("U0ALICE")
    assert home_view is not None and home_view["blocks"] == [KIND_SELECT]
    assert json.loads(factory.app_home_opened("U0ALICE").body)["event"]["view"]["id"] == home_view["id"]


def test_url_verification(factory: SlackRequestFactory, app: App) -> None:
    response = app.dispatch(factory.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P").to_bolt())
    assert (response.status, json.loads(response.body)) == (
        200,
        {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"},
    )


@pytest.mark.parametrize(
    ("age", "signature", "status"), [(0, "v0=deadbeef", 401), (301, None, 401), (-301, None, 401), (290, None, 200)]
)
def test_signature_and_timestamp_are_verified(
    factory: SlackRequestFactory, app: App, age: int, signature: str | None, status: int
) -> None:
    app.command("/rollback")(lambda ack: ack())
    good = factory.slash_command("U0ALICE", CHANNEL)
    request = factory.sign(
        good.body, good.headers["content-type"], timestamp=int(time.time()) - age, signature=signature
    )
    response = app.dispatch(request.to_bolt())
    assert response.status == status
    if status == 401:
        assert json.loads(response.body) == {"error": "invalid request"}


def test_factory_without_a_fake_uses_slack_urls() -> None:
    factory = SlackRequestFactory(SECRET, team_id="T0OTHER", api_app_id="A0OTHER")
    fields = dict(parse_qsl(factory.slash_command("U0ALICE", CHANNEL).body))
    assert fields["response_url"].startswith("https://hooks.slack.com/commands/T0OTHER/")
    assert fields["team_id"] == "T0OTHER" and fields["api_app_id"] == "A0OTHER"
    assert len(fields["trigger_id"].split(".")) == 3
    body = factory.block_action_message("U0ALICE", CHANNEL, "1.000001", "approve", "rb-1").body
    assert json.loads(unquote_plus(body.removeprefix("payload=")))["actions"][0]["type"] == "button"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_post_sends_real_http_to_the_app(factory: SlackRequestFactory, app: App) -> None:
    app.command("/rollback")(lambda ack, command: ack(f"hello {command['user_name']}"))
    server = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        base_url = f"http://127.0.0.1:{server.server_port}"
        response = factory.slash_command("U0ALICE", CHANNEL).post(base_url)
        assert (response.status_code, response.text) == (200, "hello alice")
        forged = factory.sign("command=%2Frollback", "application/x-www-form-urlencoded", signature="v0=00")
        assert forged.post(base_url).status_code == 401
    finally:
        server.shutdown()
        server.server_close()


def test_to_bolt_keeps_the_signed_raw_body(factory: SlackRequestFactory) -> None:
    request = factory.url_verification("x")
    bolt = request.to_bolt()
    assert bolt.raw_body == request.body
    assert bolt.headers["x-slack-signature"] == [request.headers["x-slack-signature"]]
