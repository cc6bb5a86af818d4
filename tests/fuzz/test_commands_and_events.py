"""Fuzz: slash commands with any text and mutated fields, App Home events, and bodies of any shape (wrong types,
a view without its type, payloads that are not JSON objects), all signed, to the real bot over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.emulators.slack import payloads
from tests.harness.world import ALICE, CAROL

from .support import (
    ACTORS,
    CHANNELS,
    FORM,
    FUZZ,
    JSON,
    Fuzzed,
    check_invariants,
    fuzzed_world,
    hostile_text,
    json_value,
    mutate,
)

WORDS = ["help", "status", "history", "releases", "drill", "cancel", "start", "pharmabot", "prod", "staging"]
WORDS += ["code", "prompt", "model", "embedding", "schema", "release", "#1", "1", "2", "-1", "99999999999999999999"]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    yield from fuzzed_world(tmp_path_factory)


def slash_bases(fuzzed: Fuzzed) -> dict[tuple[str, str], dict[str, str]]:
    """A signed command's fields per (user, channel), with live trigger ids and response URLs, made once."""
    factory = fuzzed.world.factory
    bases = {}
    for user in ACTORS:
        for channel in CHANNELS:
            signed = factory.slash_command(user or "U0NOBODY", channel or "C0NONE", "")
            bases[(user, channel)] = dict(parse_qsl(signed.body, keep_blank_values=True))
    return bases


@st.composite
def slash_commands(draw: st.DrawFn, bases: dict[tuple[str, str], dict[str, str]]) -> str:
    user, channel = draw(st.sampled_from(ACTORS)), draw(st.sampled_from(CHANNELS))
    words = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=8).map(" ".join)
    text = draw(st.one_of(hostile_text, words))
    if user == ALICE and "cancel" in text:
        user = CAROL  # alice may cancel her own request: a legitimate change, not what this test is about
    fields = mutate(draw, {**bases[(user, channel)], "text": text}, rounds=2)
    fields["command"] = draw(st.sampled_from(["/rollback", "/rollback", "/other", ""]))
    if fields.get("user_id") == ALICE and "cancel" in str(fields.get("text")):
        fields["user_id"] = CAROL
    return urlencode({key: value if isinstance(value, str) else json.dumps(value) for key, value in fields.items()})


def home_bases(fuzzed: Fuzzed) -> dict[str, dict[str, object]]:
    """An app_home_opened event per user (opening App Home changes nothing, bob included), made once."""
    return {user: json.loads(fuzzed.world.factory.app_home_opened(user).body) for user in (*ACTORS, "U0BOB")}


@st.composite
def home_events(draw: st.DrawFn, bases: dict[str, dict[str, object]]) -> str:
    user = draw(st.sampled_from(sorted(bases)))
    return json.dumps(mutate(draw, bases[user], rounds=3))


VIEW_WITHOUT_TYPE = st.fixed_dictionaries({"id": st.text(max_size=8)}, optional={"callback_id": st.text(max_size=20)})
TYPES = ["block_actions", "view_submission", "view_closed", "block_suggestion", "event_callback", "shortcut"]
TYPES += ["url_verification", "message_action", "interactive_message", ""]


@st.composite
def any_bodies(draw: st.DrawFn) -> tuple[str, str]:
    """Bodies Slack never sends: any JSON (as the body or as ``payload``), typed payloads of random fields (a view
    without its type among them), forms of random fields, bytes that are not JSON."""
    shaped = st.fixed_dictionaries(
        {"type": st.sampled_from(TYPES)},
        optional={
            "view": st.one_of(
                json_value,
                st.fixed_dictionaries({"id": st.text(max_size=8)}, optional={"callback_id": st.text(max_size=20)}),
            ),
            "user": json_value,
            "team": json_value,
            "actions": json_value,
            "event": json_value,
            "channel": json_value,
            "container": json_value,
            "response_url": json_value,
            "trigger_id": json_value,
        },
    )
    kind = draw(st.sampled_from(["json", "payload", "shaped_json", "shaped_payload", "form", "garbage"]))
    if kind == "json":
        return json.dumps(draw(json_value)), JSON
    if kind == "payload":
        return urlencode({"payload": json.dumps(draw(json_value))}), FORM
    if kind == "shaped_json":
        return json.dumps(draw(shaped)), JSON
    if kind == "shaped_payload":
        return urlencode({"payload": json.dumps(draw(shaped))}), FORM
    if kind == "form":
        fields = draw(
            st.dictionaries(
                st.sampled_from(["command", "text", "user_id", "payload", "type", "x"]), st.text(max_size=30)
            )
        )
        return urlencode(fields), FORM
    return draw(st.text(max_size=200)), draw(st.sampled_from([JSON, FORM, "text/plain"]))


def test_slash_commands(fuzzed: Fuzzed) -> None:
    before, started = fuzzed.start()

    @FUZZ
    @given(body=slash_commands(slash_bases(fuzzed)))
    def post(body: str) -> None:
        assert fuzzed.post(body, FORM) < 500

    post()
    check_invariants(fuzzed, before, "slash commands", started)


def test_app_home_events(fuzzed: Fuzzed) -> None:
    before, started = fuzzed.start()

    @FUZZ
    @given(body=home_events(home_bases(fuzzed)))
    def post(body: str) -> None:
        assert fuzzed.post(body, JSON) < 500

    post()
    check_invariants(fuzzed, before, "app_home_opened events", started)


def test_bodies_of_any_shape(fuzzed: Fuzzed) -> None:
    before, started = fuzzed.start()

    @FUZZ
    @given(sent=any_bodies())
    def post(sent: tuple[str, str]) -> None:
        assert fuzzed.post(*sent) < 500

    post()
    check_invariants(fuzzed, before, "bodies of any shape", started)


def test_a_view_without_its_type_is_refused_with_400_not_500(fuzzed: Fuzzed) -> None:
    """Bolt's middleware used to fail on it (500) before any listener ran."""
    view = {"id": "V0TAMPERED", "callback_id": "rollback-flow-plan", "private_metadata": "{}", "state": {"values": {}}}
    for kind in ("view_submission", "view_closed"):
        payload = {**payloads.interaction(fuzzed.world.factory.workspace, payloads.Actor(ALICE, "alice", "t"), kind)}
        assert fuzzed.post_payload({**payload, "view": view}) == 400
    assert not fuzzed.errors.records
