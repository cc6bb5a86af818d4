"""The Slack client of the sandbox: what Slack's apps and servers do when a person acts on the page.

Every action becomes the signed request Slack would send to the bot (``SlackRequestFactory`` with live
trigger ids and response URLs from the fake). The bot's answers are applied as Slack applies them: a
view submission's ``response_action`` updates or closes the modal (unless a ``views.update`` the bot made
after acking already replaced it), ``errors`` show under the inputs, and a failed request shows the
notice Slack shows.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from sandbox.emulators.slack import SlackError, SlackFake
from sandbox.emulators.slack import payloads as slack_payloads
from sandbox.emulators.slack.requests import FORM, SignedRequest, SlackRequestFactory

JsonDict = dict[str, Any]
COMMANDS = ("/rollback",)
APP_NAME = "Rollback Bot"
ACK_SECONDS = 3.0  # Slack gives up on an app that has not answered within 3 seconds
TIMEOUT_SECONDS = 10.0


class ClientError(Exception):
    """Something the page asked for that Slack's client would not do (no such modal, not a command)."""


@dataclass
class _Person:
    """What the client keeps per person: dismissed ephemerals and its own notices."""

    dismissed: set[str] = field(default_factory=set)
    notices: list[JsonDict] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)  # message ts -> why the app's answer failed


@dataclass(frozen=True)
class _Delivery:
    """The bot's HTTP answer, and Slack's error code when it was no timely 200."""

    response: requests.Response | None
    error: str | None


class SlackClient:
    """Acts for the people of the workspace against the bot at ``bot_url``, in channel ``channel_id``."""

    def __init__(self, fake: SlackFake, bot_url: str, signing_secret: str, channel_id: str) -> None:
        self._fake = fake
        self._bot_url = bot_url
        self._factory = SlackRequestFactory(signing_secret, fake=fake)
        self._channel_id = channel_id
        self._lock = threading.Lock()
        self._people: dict[str, _Person] = {}
        self._errors: dict[str, tuple[str, JsonDict]] = {}  # view id -> (hash it was answered for, errors)

    # acting ------------------------------------------------------------------------------------

    def command(self, user_id: str, line: str) -> None:
        """``line`` typed into the composer: ``/rollback status pharmabot``."""
        command, _, text = line.strip().partition(" ")
        if not command.startswith("/"):
            raise ClientError("Only slash commands reach the bot here; try /rollback.")
        if command not in COMMANDS:
            self._notice(
                user_id,
                f"`{command}` is not a valid command. In Slack, all messages that start with "
                'the "/" character are interpreted as commands.',
            )
            return
        request = self._factory.slash_command(user_id, self._channel_id, text.strip(), command=command)
        delivery = self._deliver(request)
        if delivery.error:
            self._notice(user_id, f'{command} failed with the error "{delivery.error}"')
        elif delivery.response is not None:
            self._command_reply(user_id, delivery.response)

    def message_action(self, user_id: str, ts: str, action_id: str, value: str | None) -> None:
        """A button or select in a message (ephemeral or not) of the channel."""
        request = self._factory.block_action_message(user_id, self._channel_id, ts, action_id, value)
        delivery = self._deliver(request)
        with self._lock:
            failures = self._person(user_id).failures
            if delivery.error:  # Slack marks the message for the person who clicked
                failures[ts] = f"{APP_NAME} didn't respond ({delivery.error})."
            else:
                failures.pop(ts, None)

    def view_action(
        self, user_id: str, view_id: str, action_id: str, value: str | None, values: JsonDict | None = None
    ) -> None:
        """An element of an open modal or of the Home tab; ``values`` is what the person entered so far."""
        view = self._view(user_id, view_id)
        if values is not None:
            self._fake.set_view_state(view_id, slack_payloads.typed_values(view, values))
            view = self._view(user_id, view_id)
        _, element = slack_payloads.find_element(view.get("blocks"), action_id)
        option = _option(element, value) if element and element.get("type") in slack_payloads.SELECT_TYPES else None
        request = self._factory.block_action_view(user_id, view, action_id, value, selected_option=option)
        if self._deliver(request).error and view.get("type") == "modal":
            self._errors[view_id] = (view["hash"], {"": "We had some trouble connecting. Try again?"})

    def submit(self, user_id: str, view_id: str, values: JsonDict) -> None:
        """The modal's submit button; applies the bot's answer as Slack does."""
        view = self._view(user_id, view_id)
        before = view["hash"]
        self._errors.pop(view_id, None)
        delivery = self._deliver(self._factory.view_submission(user_id, view, with_initial_values(view, values)))
        response = delivery.response
        if delivery.error or response is None:
            self._errors[view_id] = (before, {"": "We had some trouble connecting. Try again?"})
            return
        if self._fake.views().get(view_id, {}).get("hash") != before:
            return  # a views.update after the ack already replaced the view
        answer = _json(response.text)
        if answer.get("response_action") == "errors":
            self._errors[view_id] = (before, dict(answer.get("errors") or {}))
            return
        try:
            self._fake.apply_view_response(view_id, answer)
        except SlackError as exc:
            self._errors[view_id] = (before, {"": f"The app sent a view Slack refused ({exc.error})."})

    def close(self, user_id: str, view_id: str) -> None:
        """The modal's Cancel (or its close box) closes it (and tells the bot when it asked with notify_on_close)."""
        view = self._view(user_id, view_id)
        self._fake.apply_view_response(view_id, None)
        if view.get("notify_on_close"):
            actor = slack_payloads.Actor(user_id, user_id.lower(), "")
            payload = slack_payloads.interaction(self._factory.workspace, actor, "view_closed")
            payload.update({"view": view, "is_cleared": False})
            self._deliver(self._factory.sign(f"payload={quote(json.dumps(payload))}", FORM))

    def open_home(self, user_id: str) -> None:
        """The person opens the app's Home tab (``app_home_opened``)."""
        self._deliver(self._factory.app_home_opened(user_id))

    def dismiss(self, user_id: str, ts: str) -> None:
        """'Dismiss message' on an ephemeral message."""
        with self._lock:
            self._person(user_id).dismissed.add(ts)

    def reload(self, user_id: str) -> None:
        """The person reloads their client: as in Slack, their open dialog is gone (closed, the app told when it
        asked) and so is every message only they could see."""
        stack = modal_stack(self._fake, user_id)
        if stack:
            self.close(user_id, stack[0]["id"])
        with self._lock:
            person = self._person(user_id)
            person.dismissed.update(e["ts"] for e in self._fake.ephemerals(self._channel_id, user_id))
            person.dismissed.update(n["ts"] for n in person.notices)

    # reading -----------------------------------------------------------------------------------

    def modal(self, user_id: str) -> JsonDict | None:
        """The top of ``user_id``'s modal stack, with ``errors`` (block id -> text) and ``depth``."""
        stack = modal_stack(self._fake, user_id)
        if not stack:
            return None
        view = stack[-1]
        answered_hash, errors = self._errors.get(view["id"], ("", {}))
        return {**view, "errors": errors if answered_hash == view["hash"] else {}, "depth": len(stack)}

    def ephemerals(self, user_id: str) -> list[JsonDict]:
        """What only ``user_id`` sees in the channel: the bot's ephemerals and Slack's own notices."""
        with self._lock:
            person = self._person(user_id)
            shown = [
                {**e, "sender": "bot"}  # the fake stores the recipient in "user"; the author is the app
                for e in self._fake.ephemerals(self._channel_id, user_id)
                if e["ts"] not in person.dismissed
            ]
            notices = [n for n in person.notices if n["ts"] not in person.dismissed]
        return sorted([*shown, *notices], key=lambda e: float(e["ts"]))

    def failures(self, user_id: str) -> dict[str, str]:
        """Messages whose buttons failed for ``user_id``: ts -> what Slack shows next to them."""
        with self._lock:
            return dict(self._person(user_id).failures)

    # plumbing ----------------------------------------------------------------------------------

    def _view(self, user_id: str, view_id: str) -> JsonDict:
        home = self._fake.home(user_id)
        if home is not None and home["id"] == view_id:
            return home
        for view in modal_stack(self._fake, user_id):
            if view["id"] == view_id:
                return view
        raise ClientError(f"{view_id} is not open for {user_id}")

    def _deliver(self, request: SignedRequest) -> _Delivery:
        started = time.monotonic()
        try:
            response = request.post(self._bot_url, timeout=TIMEOUT_SECONDS)
        except requests.RequestException:
            return _Delivery(None, "dispatch_failed")
        if time.monotonic() - started > ACK_SECONDS:
            return _Delivery(response, "operation_timeout")
        if response.status_code != 200:
            return _Delivery(response, f"http_service_error: HTTP {response.status_code}")
        return _Delivery(response, None)

    def _command_reply(self, user_id: str, response: requests.Response) -> None:
        """A slash command's HTTP answer with a body is shown to the person (Slack's immediate response)."""
        if response.status_code != 200 or not response.text.strip():
            return
        answer = _json(response.text)
        text = answer.get("text") or ("" if answer else response.text)
        if text or answer.get("blocks"):
            self._notice(user_id, str(text), blocks=answer.get("blocks"), sender="bot")

    def _notice(self, user_id: str, text: str, *, blocks: Any = None, sender: str = "slackbot") -> None:
        notice = {"ts": f"{time.time():.6f}", "text": text, "blocks": blocks, "sender": sender, "thread_ts": None}
        with self._lock:
            self._person(user_id).notices.append(notice)

    def _person(self, user_id: str) -> _Person:
        return self._people.setdefault(user_id, _Person())


def modal_stack(fake: SlackFake, user_id: str) -> list[JsonDict]:
    """``user_id``'s open modals, bottom first.

    The fake keeps one stack per person but exposes only all modals together, so this reads its view store
    under the world's lock (the one place the sandbox looks inside the fake).
    """
    world = fake._world
    with world.lock:
        modals = world.views.modals()
        return [view for view_id, view in modals.items() if world.views.owner_of(view_id) == user_id]


INITIAL_FIELDS = (
    ("initial_option", "selected_option"),
    ("initial_options", "selected_options"),
    ("initial_value", "value"),
    ("initial_date", "selected_date"),
    ("initial_time", "selected_time"),
)


def with_initial_values(view: JsonDict, values: JsonDict) -> JsonDict:
    """``values`` plus the initial value of every input left untouched: Slack submits those too."""
    merged: JsonDict = {block: dict(actions) for block, actions in values.items()}
    for block in view.get("blocks") or []:
        element = block.get("element") if block.get("type") == "input" else None
        if not isinstance(element, dict) or not block.get("block_id") or not element.get("action_id"):
            continue
        initial = next(((k, f) for k, f in INITIAL_FIELDS if k in element), None)
        if initial is not None:
            entry = {"type": element.get("type"), initial[1]: element[initial[0]]}
            merged.setdefault(block["block_id"], {}).setdefault(element["action_id"], entry)
    return merged


def _option(element: JsonDict, value: str | None) -> JsonDict | None:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    found = next((o for o in options if isinstance(o, dict) and o.get("value") == value), None)
    return dict(found) if found else None


def _json(text: str) -> JsonDict:
    try:
        value = json.loads(text) if text.strip() else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
