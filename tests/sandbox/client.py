"""Driving a running sandbox over its page API, as the page does (no browser)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from bot.slack.ids import SlackId
from sandbox.demo import ALICE

JsonDict = dict[str, Any]


def selected(block: SlackId, action: SlackId, value: str, kind: str) -> JsonDict:
    """One ``state.values`` entry choosing ``value``."""
    option = {"text": {"type": "plain_text", "text": value}, "value": value}
    return {block.value: {action.value: {"type": kind, "selected_option": option}}}


def typed(block: SlackId, action: SlackId, text: str) -> JsonDict:
    return {block.value: {action.value: {"type": "plain_text_input", "value": text}}}


class PageClient:
    """The page's side of the API: read one person's state, post what they do."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.http = requests.Session()

    def state(self, user: str = ALICE) -> JsonDict:
        response = self.http.get(f"{self.url}/api/state", params={"user": user}, timeout=10)
        response.raise_for_status()
        body: JsonDict = response.json()
        return body

    def post(self, path: str, **body: Any) -> requests.Response:
        return self.http.post(f"{self.url}{path}", json=body, timeout=15)

    def act(self, path: str, **body: Any) -> JsonDict:
        response = self.post(path, **body)
        assert response.status_code == 200, response.text
        answer: JsonDict = response.json()
        return answer

    def wait(self, predicate: Callable[[JsonDict], Any], what: str, user: str = ALICE, timeout: float = 15) -> JsonDict:
        """The first state of ``user`` for which ``predicate`` holds."""
        deadline = time.monotonic() + timeout
        state = self.state(user)
        while not predicate(state):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; modal: {state.get('modal')}")
            time.sleep(0.05)
            state = self.state(user)
        return state

    def wait_modal(self, callback: SlackId, user: str = ALICE, contains: str = "") -> JsonDict:
        def showing(state: JsonDict) -> bool:
            modal = state["modal"]
            return bool(modal and modal["callback_id"] == callback.value and contains in str(modal["blocks"]))

        state = self.wait(showing, f"modal {callback.value} {contains}", user)
        modal: JsonDict = state["modal"]
        return modal

    def card(self, user: str = ALICE, status: str = "") -> JsonDict:
        """The latest request card in the channel (waiting until it shows ``status``)."""

        def cards(state: JsonDict) -> list[JsonDict]:
            return [m for m in state["messages"] if "Rollback #" in m["text"] and status in str(m["blocks"])]

        return cards(self.wait(cards, f"a card {status}", user))[-1]


def walk_to_card(page: PageClient, kind: str, reason: str, user: str = ALICE) -> JsonDict:
    """alice: /rollback, prod, emergency, ``kind``, the plan's default target, ``reason``; returns the card."""
    page.act("/api/command", user=user, text="/rollback")
    view = page.wait_modal(SlackId.flow_target_view, user)
    values = {
        **selected(SlackId.target_block, SlackId.target_select, "pharmabot/prod", "static_select"),
        **selected(SlackId.emergency_block, SlackId.emergency_radio, "yes", "radio_buttons"),
    }
    page.act("/api/submit", user=user, view_id=view["id"], values=values)
    view = page.wait_modal(SlackId.flow_kind_view, user)
    values = selected(SlackId.kind_block, SlackId.kind_radio, kind, "radio_buttons")
    page.act("/api/submit", user=user, view_id=view["id"], values=values)
    view = page.wait_modal(SlackId.flow_plan_view, user)
    page.act(
        "/api/submit", user=user, view_id=view["id"], values=typed(SlackId.reason_block, SlackId.reason_input, reason)
    )
    state = page.wait(lambda s: "is posted" in str(s["ephemerals"]), "the private confirmation", user)
    assert state["modal"] is None  # the last step closed the modal
    return page.card(user)


def approve(page: PageClient, user: str, card: JsonDict) -> None:
    """``user`` clicks Approve on ``card`` (and confirms)."""
    actions = next(b for b in card["blocks"] if b["type"] == "actions")
    button = next(e for e in actions["elements"] if e["action_id"] == SlackId.approve.value)
    page.act("/api/action", user=user, ts=card["ts"], action_id=button["action_id"], value=button["value"])
