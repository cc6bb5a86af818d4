"""The Slack Web API fake, driven through the real slack_sdk WebClient / WebhookClient."""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, ButtonElement, HeaderBlock, SectionBlock
from slack_sdk.webhook import WebhookClient

from sandbox.emulators.slack import SlackFake, SlackUser, validate_message_blocks, validate_view

CHANNEL = "C0INCIDENT"
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*Rollback* pharmabot prod"}}
INPUT = {
    "type": "input",
    "block_id": "reason",
    "label": {"type": "plain_text", "text": "Reason"},
    "element": {"type": "plain_text_input", "action_id": "reason_input"},
}


def modal(title: str = "Rollback", blocks: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "rollback_modal",
        "title": {"type": "plain_text", "text": title},
        "blocks": blocks or [SECTION],
        **extra,
    }


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_760_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[SlackFake]:
    with SlackFake(clock=clock) as fake:
        fake.add_user(SlackUser(id="U0ALICE", name="alice", real_name="Alice Responder"))
        fake.add_user(SlackUser(id="U0BOB", name="bob", real_name="Bob Approver"))
        fake.add_user(SlackUser(id="U0GUEST", name="guest", is_restricted=True))
        fake.add_usergroup("S0APPROVERS", handle="sre-approvers", users=["U0BOB"])
        fake.add_channel(CHANNEL, name="inc-pharmabot")
        fake.add_channel("C0OLD", name="inc-old", is_archived=True)
        yield fake


@pytest.fixture
def client(fake: SlackFake) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.api_url)


def slack_error(call: Any, **kwargs: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call(**kwargs)
    return info.value


# auth and dispatch -------------------------------------------------------------------------------


def test_auth_test_identifies_the_bot(fake: SlackFake, client: WebClient) -> None:
    answer = client.auth_test()
    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == ("T0ROLLBACK", "UROLLBACKBOT", fake.bot_id)
    assert fake.calls_to("auth.test")[0].headers["authorization"] == f"Bearer {fake.bot_token}"


@pytest.mark.parametrize(("token", "error"), [("xoxb-wrong", "invalid_auth"), (None, "not_authed")])
def test_bad_or_missing_token_is_refused_with_http_200(fake: SlackFake, token: str | None, error: str) -> None:
    err = slack_error(WebClient(token=token, base_url=fake.api_url).chat_postMessage, channel=CHANNEL, text="x")
    assert (err.response.status_code, err.response["error"]) == (200, error)
    assert fake.messages(CHANNEL) == []


def test_form_body_with_token_field_and_json_encoded_blocks(fake: SlackFake) -> None:
    form = {"token": fake.bot_token, "channel": CHANNEL, "text": "form", "blocks": '[{"type": "divider"}]'}
    answer = requests.post(fake.api_url + "chat.postMessage", data=form, timeout=5).json()
    assert answer["ok"] is True
    assert fake.messages(CHANNEL)[0]["blocks"] == [{"type": "divider"}]
    assert fake.calls_to("chat.postMessage")[0].body["blocks"] == [{"type": "divider"}]


def test_unknown_method(client: WebClient) -> None:
    assert slack_error(client.api_call, api_method="chat.teleport").response["error"] == "unknown_method"


# chat ----------------------------------------------------------------------------------------------


def test_post_message_and_thread_reply(fake: SlackFake, client: WebClient) -> None:
    parent = client.chat_postMessage(channel=CHANNEL, text="Rollback requested", blocks=[SECTION])
    assert parent["channel"] == CHANNEL and parent["message"]["blocks"] == [SECTION]
    reply = client.chat_postMessage(channel=CHANNEL, text="step 1 done", thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"]
    [top] = fake.messages(CHANNEL)
    assert (top["ts"], top["user"], top["reply_count"]) == (parent["ts"], fake.bot_user_id, 1)
    assert [m["text"] for m in fake.thread(CHANNEL, parent["ts"])] == ["Rollback requested", "step 1 done"]
    assert fake.calls_to("chat.postMessage")[0].body["text"] == "Rollback requested"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"channel": "C0NOPE", "text": "x"}, "channel_not_found"),
        ({"channel": "C0OLD", "text": "x"}, "is_archived"),
        pytest.param(
            {"channel": CHANNEL},
            "no_text",
            marks=pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing"),
        ),
        ({"channel": CHANNEL, "text": "x", "thread_ts": "1.000001"}, "thread_not_found"),
    ],
)
def test_post_message_errors(client: WebClient, kwargs: dict[str, Any], error: str) -> None:
    assert slack_error(client.chat_postMessage, **kwargs).response["error"] == error


def test_update_applies_the_edit(fake: SlackFake, client: WebClient) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="Awaiting approval", blocks=[SECTION])["ts"]
    done = {"type": "section", "text": {"type": "mrkdwn", "text": "Approved by <@U0BOB>"}}
    answer = client.chat_update(channel=CHANNEL, ts=ts, text="Approved", blocks=[done])
    assert answer["ts"] == ts and answer["message"]["text"] == "Approved"
    [message] = fake.messages(CHANNEL)
    assert message["blocks"] == [done] and message["edited"]["user"] == fake.bot_user_id
    assert slack_error(client.chat_update, channel=CHANNEL, ts="1.2", text="x").response["error"] == "message_not_found"


def test_post_ephemeral_and_permalink(fake: SlackFake, client: WebClient) -> None:
    answer = client.chat_postEphemeral(channel=CHANNEL, user="U0ALICE", text="only you")
    [ephemeral] = fake.ephemerals(user_id="U0ALICE")
    assert (ephemeral["ts"], ephemeral["text"], ephemeral["channel"]) == (answer["message_ts"], "only you", CHANNEL)
    assert fake.ephemerals(user_id="U0BOB") == []
    err = slack_error(client.chat_postEphemeral, channel=CHANNEL, user="U0NOBODY", text="x")
    assert err.response["error"] == "user_not_found"
    ts = client.chat_postMessage(channel=CHANNEL, text="card")["ts"]
    link = client.chat_getPermalink(channel=CHANNEL, message_ts=ts)["permalink"]
    assert link == f"{fake.url}/archives/{CHANNEL}/p{ts.replace('.', '')}"


# directory -----------------------------------------------------------------------------------------


def test_directory_methods(client: WebClient) -> None:
    guest = client.users_info(user="U0GUEST")["user"]
    assert (guest["name"], guest["is_restricted"], guest["is_bot"], guest["deleted"]) == ("guest", True, False, False)
    assert client.usergroups_users_list(usergroup="S0APPROVERS")["users"] == ["U0BOB"]
    channel = client.conversations_info(channel=CHANNEL)["channel"]
    assert (channel["name"], channel["is_archived"], channel["is_private"]) == ("inc-pharmabot", False, False)


@pytest.mark.parametrize(
    ("method", "kwargs", "error"),
    [
        ("users_info", {"user": "U0NOBODY"}, "user_not_found"),
        ("usergroups_users_list", {"usergroup": "S0NOPE"}, "no_such_subteam"),
        ("conversations_info", {"channel": "C0NOPE"}, "channel_not_found"),
    ],
)
def test_directory_errors(client: WebClient, method: str, kwargs: dict[str, str], error: str) -> None:
    assert slack_error(getattr(client, method), **kwargs).response["error"] == error


# views ---------------------------------------------------------------------------------------------


def test_views_open_with_a_fresh_trigger(fake: SlackFake, client: WebClient) -> None:
    view = client.views_open(trigger_id=fake.issue_trigger_id("U0ALICE"), view=modal(private_metadata="rb-1"))["view"]
    assert view["id"] in fake.views()
    stored = fake.views()[view["id"]]
    assert (stored["callback_id"], stored["private_metadata"], stored["hash"]) == (
        "rollback_modal",
        "rb-1",
        view["hash"],
    )
    assert stored["state"] == {"values": {}}


def test_trigger_ids_are_single_use_and_expire_after_3_seconds(
    fake: SlackFake, client: WebClient, clock: FakeClock
) -> None:
    used = fake.issue_trigger_id()
    client.views_open(trigger_id=used, view=modal())
    old = fake.issue_trigger_id()
    clock.now += 3.01
    errors = [
        slack_error(client.views_open, trigger_id=t, view=modal()).response["error"]
        for t in (used, old, "123.456.forged")
    ]
    assert errors == ["exchanged_trigger_id", "expired_trigger_id", "invalid_trigger_id"]


def test_views_update_with_hash_and_hash_conflict(fake: SlackFake, client: WebClient) -> None:
    view = client.views_open(trigger_id=fake.issue_trigger_id(), view=modal(external_id="rb-1"))["view"]
    updated = client.views_update(view_id=view["id"], hash=view["hash"], view=modal("Plan"))["view"]
    assert updated["id"] == view["id"] and updated["hash"] != view["hash"]
    assert fake.views()[view["id"]]["title"]["text"] == "Plan"
    err = slack_error(client.views_update, view_id=view["id"], hash=view["hash"], view=modal("Stale"))
    assert err.response["error"] == "hash_conflict"
    assert client.views_update(external_id="rb-1", view=modal("By external id"))["view"]["id"] == view["id"]
    assert slack_error(client.views_update, view_id="V404", view=modal()).response["error"] == "not_found"


def test_views_push_stops_at_three(fake: SlackFake, client: WebClient) -> None:
    root = client.views_open(trigger_id=fake.issue_trigger_id("U0ALICE"), view=modal())["view"]
    second = client.views_push(trigger_id=fake.issue_trigger_id("U0ALICE"), view=modal("Second"))["view"]
    client.views_push(trigger_id=fake.issue_trigger_id("U0ALICE"), view=modal("Third"))
    err = slack_error(client.views_push, trigger_id=fake.issue_trigger_id("U0ALICE"), view=modal("Fourth"))
    assert err.response["error"] == "push_limit_reached"
    assert (second["root_view_id"], second["previous_view_id"]) == (root["id"], root["id"])
    assert len(fake.views()) == 3


def test_views_publish_home(fake: SlackFake, client: WebClient) -> None:
    home = {"type": "home", "blocks": [SECTION]}
    first = client.views_publish(user_id="U0ALICE", view=home)["view"]
    again = client.views_publish(user_id="U0ALICE", view=home, hash=first["hash"])["view"]
    assert first["id"] == again["id"] and fake.home("U0ALICE") == again
    assert fake.home("U0BOB") is None and fake.views() == {}
    stale = slack_error(client.views_publish, user_id="U0ALICE", view=home, hash=first["hash"])
    assert stale.response["error"] == "hash_conflict"
    with_submit = {**home, "submit": {"type": "plain_text", "text": "Go"}}
    assert (
        slack_error(client.views_publish, user_id="U0ALICE", view=with_submit).response["error"] == "invalid_arguments"
    )
    assert slack_error(client.views_publish, user_id="U0NOBODY", view=home).response["error"] == "user_not_found"


def test_apply_view_response_closes_updates_and_clears(fake: SlackFake, client: WebClient) -> None:
    root = client.views_open(trigger_id=fake.issue_trigger_id("U0ALICE"), view=modal())["view"]
    fake.apply_view_response(root["id"], {"response_action": "update", "view": modal("Confirm")})
    assert fake.views()[root["id"]]["title"]["text"] == "Confirm"
    fake.apply_view_response(root["id"], json.dumps({"response_action": "push", "view": modal("Pushed")}))
    assert len(fake.views()) == 2
    fake.apply_view_response(root["id"], {"response_action": "errors", "errors": {"reason": "required"}})
    assert len(fake.views()) == 2
    fake.apply_view_response(root["id"], "")
    assert fake.views() == {}


# Block Kit validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([{"type": "divider"}] * 51, "no more than 50 items allowed [json-pointer:/blocks]"),
        ([INPUT], "unsupported type: input [json-pointer:/blocks/0/type]"),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "approve",
                            "disabled": True,
                            "text": {"type": "plain_text", "text": "Approve"},
                        }
                    ],
                }
            ],
            "invalid additional property: disabled [json-pointer:/blocks/0/elements/0/disabled]",
        ),
        (
            [
                SECTION,
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": "x"},
                    "accessory": {"type": "button", "text": {"type": "plain_text", "text": "b" * 76}},
                },
            ],
            "text attribute cannot exceed 75 characters [json-pointer:/blocks/1]",
        ),
        ([{"type": "carousel_of_doom"}], "unsupported type: carousel_of_doom [json-pointer:/blocks/0/type]"),
    ],
)
def test_invalid_message_blocks_are_refused(
    fake: SlackFake, client: WebClient, blocks: list[dict[str, Any]], expected: str
) -> None:
    err = slack_error(client.chat_postMessage, channel=CHANNEL, text="x", blocks=blocks)
    assert (err.response["error"], err.response["errors"]) == ("invalid_blocks", [expected])
    assert fake.messages(CHANNEL) == []
    assert fake.calls_to("chat.postMessage")[0].error == "invalid_blocks"


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (modal(blocks=[{"type": "divider"}] * 101), "no more than 100 items allowed [json-pointer:/view/blocks]"),
        (
            modal("A very long rollback modal title"),
            "must be between 1 and 24 characters [json-pointer:/view/title/text]",
        ),
        (modal(blocks=[INPUT]), "must provide a submit property when using input blocks [json-pointer:/view]"),
    ],
)
def test_invalid_views_are_refused_without_using_the_trigger(
    fake: SlackFake, client: WebClient, view: dict[str, Any], expected: str
) -> None:
    trigger = fake.issue_trigger_id()
    err = slack_error(client.views_open, trigger_id=trigger, view=view)
    assert err.response["error"] == "invalid_arguments"
    assert err.response["response_metadata"]["messages"] == [f"[ERROR] {expected}"]
    assert client.views_open(trigger_id=trigger, view=modal())["ok"]


def test_validator_accepts_slack_sdk_built_blocks() -> None:
    blocks = [
        HeaderBlock(text="Rollback pharmabot/prod"),
        SectionBlock(text="*code* → previous revision"),
        ActionsBlock(
            elements=[
                ButtonElement(text="Approve", action_id="approve", value="rb-1", style="primary"),
                ButtonElement(text="Reject", action_id="reject", value="rb-1", style="danger"),
            ]
        ),
    ]
    assert validate_message_blocks([b.to_dict() for b in blocks]) == []
    assert validate_message_blocks(blocks) == []
    too_long = ButtonElement(text="x" * 76, action_id="approve")
    assert validate_message_blocks([ActionsBlock(elements=[too_long])]) == [
        "text attribute cannot exceed 75 characters [json-pointer:/blocks/0]"
    ]
    submit = {"type": "plain_text", "text": "Roll back"}
    assert validate_view(modal(blocks=[SECTION, INPUT], submit=submit, private_metadata="x" * 3000)) == []
    assert validate_view(modal(private_metadata="x" * 3001)) == [
        "private_metadata cannot exceed 3000 characters [json-pointer:/view]"
    ]


# faults --------------------------------------------------------------------------------------------


def test_rate_limit_is_http_429_with_retry_after(fake: SlackFake, client: WebClient) -> None:
    fake.fail_next("chat.update", retry_after=7)
    err = slack_error(client.chat_update, channel=CHANNEL, ts="1.1", text="x")
    assert (err.response.status_code, err.response["error"]) == (429, "ratelimited")
    assert err.response.headers["retry-after"] in ("7", ["7"])
    assert slack_error(client.chat_update, channel=CHANNEL, ts="1.1", text="x").response["error"] == "message_not_found"


def test_fail_next_any_error_n_times(fake: SlackFake, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", "fatal_error", n=2)
    errors = [slack_error(client.chat_postMessage, channel=CHANNEL, text="x").response["error"] for _ in range(2)]
    assert errors == ["fatal_error", "fatal_error"]
    assert client.chat_postMessage(channel=CHANNEL, text="x")["ok"]
    assert [c.ok for c in fake.calls_to("chat.postMessage")] == [False, False, True]


# response_url --------------------------------------------------------------------------------------


def test_response_url_replace_original_and_in_channel(fake: SlackFake, client: WebClient) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="Approve?", blocks=[SECTION])["ts"]
    hook = WebhookClient(fake.response_url(CHANNEL, "U0BOB", message_ts=ts))
    replaced = hook.send(text="Approved by bob", replace_original=True)
    assert (replaced.status_code, replaced.body) == (200, "ok")
    [card] = fake.messages(CHANNEL)
    assert (card["ts"], card["text"], card["blocks"]) == (ts, "Approved by bob", None)
    hook.send(text="Rolling back now", response_type="in_channel")
    hook.send(text="just for bob")
    assert [m["text"] for m in fake.messages(CHANNEL)] == ["Approved by bob", "Rolling back now"]
    assert [e["text"] for e in fake.ephemerals(CHANNEL, "U0BOB")] == ["just for bob"]
    assert fake.calls_to("response_url")[0].body["replace_original"] is True


def test_response_url_delete_original_limits_and_bad_blocks(fake: SlackFake, client: WebClient) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="card")["ts"]
    hook = WebhookClient(fake.response_url(CHANNEL, "U0ALICE", message_ts=ts))
    assert hook.send(blocks=[INPUT]).status_code == 400
    hook.send(text="", delete_original=True)
    assert fake.messages(CHANNEL) == []
    statuses = [hook.send(text=f"#{i}").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 200, 404]
    assert hook.send(text="again").body == "used_url"
    assert WebhookClient(fake.url + "/response_url/forged").send(text="x").status_code == 404


# recording and the read API ------------------------------------------------------------------------


def test_wait_for_sees_calls_from_other_threads_and_explains_timeouts(fake: SlackFake, client: WebClient) -> None:
    threading.Timer(0.05, lambda: client.chat_postMessage(channel=CHANNEL, text="later")).start()
    call = fake.wait_for("chat.postMessage", lambda c: c.body.get("text") == "later", timeout=2)
    assert call.ok and call.at > 0
    with pytest.raises(AssertionError, match=r"views\.open.*chat\.postMessage\(ok\)"):
        fake.wait_for("views.open", timeout=0.05)
    fake.reset_calls()
    assert fake.calls == []


def test_concurrent_posts_are_all_kept_with_unique_ts(fake: SlackFake, client: WebClient) -> None:
    threads = [
        threading.Thread(target=client.chat_postMessage, kwargs={"channel": CHANNEL, "text": str(i)}) for i in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    messages = fake.messages(CHANNEL)
    assert len(messages) == 20 and len({m["ts"] for m in messages}) == 20


def test_http_read_surface(fake: SlackFake, client: WebClient) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="parent")["ts"]
    client.chat_postMessage(channel=CHANNEL, text="child", thread_ts=ts)
    client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": [SECTION]})
    answer = requests.get(fake.url + "/_fake/state", timeout=5)
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    state = answer.json()
    channel = next(c for c in state["channels"] if c["id"] == CHANNEL)
    assert [(m["text"], [r["text"] for r in m["replies"]]) for m in channel["messages"]] == [("parent", ["child"])]
    assert "U0ALICE" in state["homes"] and {u["id"] for u in state["users"]} >= {"U0ALICE", "UROLLBACKBOT"}
    calls = requests.get(fake.url + "/_fake/calls", timeout=5).json()["calls"]
    assert [c["method"] for c in calls] == ["chat.postMessage", "chat.postMessage", "views.publish"]


def test_fake_is_fast_and_port_zero(fake: SlackFake, client: WebClient) -> None:
    started = time.perf_counter()
    for _ in range(20):
        client.auth_test()
    assert time.perf_counter() - started < 1.0
    assert fake.url.startswith("http://127.0.0.1:") and not fake.url.endswith(":0")


def test_harness_package_reexports_the_public_api() -> None:
    path = Path(__file__).resolve().parents[1] / "harness" / "__init__.py"
    spec = importlib.util.spec_from_file_location("harness_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert {
        "SlackFake",
        "SlackUser",
        "SlackRequestFactory",
        "SignedRequest",
        "validate_message_blocks",
        "validate_view",
    } <= set(module.__all__)
    assert module.SlackFake is SlackFake


def test_runs_as_a_process_for_the_container_checks() -> None:
    """``python -m sandbox.emulators.slack`` (what .ci/container starts on the host) serves until SIGTERM."""
    import signal
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.emulators.slack", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        api_url = process.stdout.readline().strip().removeprefix("SLACK_API_URL=")
        token = process.stdout.readline().strip().removeprefix("SLACK_BOT_TOKEN=")
        assert WebClient(token=token, base_url=api_url).auth_test()["ok"] is True
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        if process.stdout is not None:
            process.stdout.close()
