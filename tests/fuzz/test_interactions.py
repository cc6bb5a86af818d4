"""Fuzz: button clicks and selections for every action id in the enum (on the request cards and in modals), view
submissions with tampered private_metadata and state, view_closed and block_suggestion payloads, all signed and
mutated (fields missing, wrong types, oversized), to the real bot over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.ids import SlackId
from sandbox.emulators.slack import payloads
from tests.harness.world import ALICE, CAROL, CHANNEL

from .support import (
    ACTORS,
    FUZZ,
    Fuzzed,
    check_invariants,
    flow_metadata,
    fuzzed_world,
    hostile_text,
    ids_and_text,
    mutate,
    request_ref,
)

Payload = dict[str, Any]
OWN_REQUEST_ACTIONS = {SlackId.reject.value, SlackId.cancel.value}  # alice may withdraw her own: not a refusal
WORKSPACE = payloads.Workspace("T0ROLLBACK", "rb", "A0ROLLBACK", "UROLLBACKBOT")
# The action ids the bot listens to, most often; any id of the enum or any text otherwise.
HANDLED = [
    SlackId.approve,
    SlackId.reject,
    SlackId.cancel,
    SlackId.proceed,
    SlackId.choice_select,
    SlackId.drift_rollback,
]
action_ids = st.one_of(
    st.sampled_from([a.value for a in HANDLED]), st.sampled_from([a.value for a in HANDLED]), ids_and_text
)
VIEWS = [
    SlackId.flow_target_view,
    SlackId.flow_kind_view,
    SlackId.flow_plan_view,
    SlackId.flow_loading_view,
    SlackId.reject_view,
]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    yield from fuzzed_world(tmp_path_factory)


def _actor(fuzzed: Fuzzed, user: str) -> payloads.Actor:
    return fuzzed.world.factory._actor(user or "U0NOBODY", None)


def _no_own_withdrawal(payload: Payload) -> Payload:
    """Alice rejecting or cancelling her own request is a legitimate change: that click is carol's instead."""
    actions = payload.get("actions")
    user = payload.get("user")
    own = isinstance(actions, list) and any(
        isinstance(a, dict) and str(a.get("action_id")) in OWN_REQUEST_ACTIONS for a in actions
    )
    if own and isinstance(user, dict) and user.get("id") == ALICE:
        user["id"] = CAROL
    return payload


def card_clicks(fuzzed: Fuzzed) -> list[Payload]:
    """A click on each card by each actor, made once (live response URLs and trigger ids)."""
    factory, cards = fuzzed.world.factory, [m["ts"] for m in fuzzed.world.slack.messages(CHANNEL)]
    assert len(cards) == 2
    return [
        json.loads(
            payloads_of(factory.block_action_message(user or "U0NOBODY", CHANNEL, ts, SlackId.approve.value, ""))
        )
        for user in ACTORS
        for ts in cards
    ]


def payloads_of(signed: Any) -> str:
    return dict(parse_qsl(signed.body))["payload"]


@st.composite
def clicks(draw: st.DrawFn, bases: list[Payload], refs: st.SearchStrategy[str]) -> Payload:
    payload = json.loads(json.dumps(draw(st.sampled_from(bases))))
    action = payload["actions"][0]
    action["action_id"] = draw(action_ids)
    action["value"] = draw(refs)
    if draw(st.booleans()):
        action["selected_option"] = {"value": draw(st.one_of(refs, hostile_text))}
    return _no_own_withdrawal(mutate(draw, payload, rounds=3))


def modal(callback_id: str, metadata: str, values: Payload) -> Payload:
    return {
        "id": "V0FUZZ",
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata,
        "hash": "1.fuzz",
        "team_id": "T0ROLLBACK",
        "blocks": [],
        "state": {"values": values},
    }


def state_values() -> st.SearchStrategy[Payload]:
    """The flow's inputs with any choices: real and unknown targets, kinds, choices and reasons of any text."""

    def select(value: str, kind: str = "static_select") -> Payload:
        return {"type": kind, "selected_option": {"value": value}}

    targets = st.sampled_from(["pharmabot/prod", "pharmabot/staging", "pharmabot/nope", "/", ""]) | st.text(max_size=40)
    kinds = st.sampled_from(["code", "prompt", "model", "embedding", "schema", "release", ""]) | st.text(max_size=20)
    return st.fixed_dictionaries(
        {},
        optional={
            SlackId.target_block.value: targets.map(lambda v: {SlackId.target_select.value: select(v)}),
            SlackId.emergency_block.value: st.sampled_from(["yes", "no", "maybe"]).map(
                lambda v: {SlackId.emergency_radio.value: select(v, "radio_buttons")}
            ),
            SlackId.kind_block.value: kinds.map(lambda v: {SlackId.kind_radio.value: select(v, "radio_buttons")}),
            SlackId.choice_block.value: st.text(max_size=60).map(lambda v: {SlackId.choice_select.value: select(v)}),
            SlackId.reason_block.value: hostile_text.map(
                lambda v: {SlackId.reason_input.value: {"type": "plain_text_input", "value": v}}
            ),
            SlackId.reject_reason_block.value: hostile_text.map(
                lambda v: {SlackId.reject_reason_input.value: {"type": "plain_text_input", "value": v}}
            ),
        },
    )


@st.composite
def submissions(
    draw: st.DrawFn, actors: dict[str, payloads.Actor], kind: str, refs: st.SearchStrategy[str] | None = None
) -> Payload:
    user = draw(st.sampled_from(sorted(actors)))
    payload = payloads.interaction(
        payloads.Workspace("T0ROLLBACK", "rb", "A0ROLLBACK", "UROLLBACKBOT"), actors[user], kind
    )
    callback = draw(st.one_of(st.sampled_from([v.value for v in VIEWS]), ids_and_text))
    metadata = draw(st.one_of(flow_metadata(), refs) if refs is not None else flow_metadata())
    payload["view"] = modal(callback, metadata, draw(state_values()))
    if user == ALICE and callback == SlackId.reject_view.value:
        payload["user"]["id"] = CAROL  # alice may reject her own request: a legitimate change
    if kind == "view_submission":
        payload["response_urls"] = []
    if kind == "view_closed":
        payload["is_cleared"] = draw(st.booleans())
    return mutate(draw, payload, rounds=3)


@st.composite
def view_clicks(draw: st.DrawFn, actors: dict[str, payloads.Actor], refs: st.SearchStrategy[str]) -> Payload:
    payload = draw(submissions(actors, "block_actions"))
    value = draw(st.one_of(refs, hostile_text))
    action: Payload = {"action_id": draw(action_ids), "block_id": draw(ids_and_text), "type": "static_select"}
    action["selected_option"] = {"value": value}
    action["action_ts"] = "1.0"
    payload["actions"] = [action]
    payload["container"] = {"type": "view", "view_id": "V0FUZZ"}
    return _no_own_withdrawal(mutate(draw, payload, rounds=2))


@st.composite
def suggestions(draw: st.DrawFn, actors: dict[str, payloads.Actor]) -> Payload:
    payload = draw(submissions(actors, "block_suggestion"))
    payload["action_id"] = draw(ids_and_text)
    payload["block_id"] = draw(ids_and_text)
    payload["value"] = draw(hostile_text)
    return mutate(draw, payload, rounds=2)


def _fuzz(fuzzed: Fuzzed, what: str, strategy: st.SearchStrategy[Payload]) -> None:
    before, started = fuzzed.start()

    @FUZZ
    @given(payload=strategy)
    def post(payload: Payload) -> None:
        assert fuzzed.post_payload(payload) < 500

    post()
    check_invariants(fuzzed, before, what, started)


def _actors(fuzzed: Fuzzed) -> dict[str, payloads.Actor]:
    return {user: _actor(fuzzed, user) for user in ACTORS}


def test_block_actions_on_the_request_cards(fuzzed: Fuzzed) -> None:
    _fuzz(fuzzed, "block_actions on messages", clicks(card_clicks(fuzzed), request_ref(fuzzed)))


def test_block_actions_in_modals(fuzzed: Fuzzed) -> None:
    _fuzz(fuzzed, "block_actions in views", view_clicks(_actors(fuzzed), request_ref(fuzzed)))


def test_view_submissions(fuzzed: Fuzzed) -> None:
    _fuzz(fuzzed, "view_submission", submissions(_actors(fuzzed), "view_submission", request_ref(fuzzed)))


def test_view_closed(fuzzed: Fuzzed) -> None:
    _fuzz(fuzzed, "view_closed", submissions(_actors(fuzzed), "view_closed"))


def test_block_suggestions(fuzzed: Fuzzed) -> None:
    _fuzz(fuzzed, "block_suggestion", suggestions(_actors(fuzzed)))
