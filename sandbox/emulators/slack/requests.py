"""Build and sign requests exactly as Slack sends them to an app's Request URL.

    factory = SlackRequestFactory("signing-secret", fake=fake)
    response = app.dispatch(factory.slash_command("U0ALICE", "C0INCIDENT", "pharmabot prod").to_bolt())

Slash commands are form fields; interactivity is ``payload=<url-encoded JSON>``; events are JSON. With a
``SlackFake`` the trigger ids and response URLs are live ones on the fake, and user/channel names and the
clicked message come from its state.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import requests
from slack_bolt import BoltRequest
from slack_sdk.signature import SignatureVerifier

from sandbox.emulators.slack import payloads
from sandbox.emulators.slack.fake import SlackFake
from sandbox.emulators.slack.models import JsonDict
from sandbox.emulators.slack.payloads import Actor, Workspace
from sandbox.emulators.slack.state import BOT_USER_ID, TEAM_DOMAIN

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class SignedRequest:
    """A raw body and the headers Slack sends with it (content-type, timestamp, signature)."""

    body: str
    headers: dict[str, str]

    def to_bolt(self) -> BoltRequest:
        return BoltRequest(body=self.body, headers=dict(self.headers))

    def post(self, base_url: str, path: str = "/slack/events", timeout: float = 5) -> requests.Response:
        return requests.post(
            base_url.rstrip("/") + path, data=self.body.encode("utf-8"), headers=self.headers, timeout=timeout
        )


class SlackRequestFactory:
    """Signed slash commands, block actions, view submissions and events for one workspace and app."""

    def __init__(
        self,
        signing_secret: str,
        *,
        team_id: str = "T0ROLLBACK",
        api_app_id: str = "A0ROLLBACK",
        fake: SlackFake | None = None,
    ) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._fake = fake
        bot_user_id = fake.bot_user_id if fake else BOT_USER_ID
        self.workspace = Workspace(team_id, TEAM_DOMAIN, api_app_id, bot_user_id)

    def sign(
        self, body: str, content_type: str, *, timestamp: str | int | None = None, signature: str | None = None
    ) -> SignedRequest:
        """Sign ``body`` now (or at ``timestamp``); pass ``signature`` to send a wrong one."""
        ts = str(timestamp if timestamp is not None else int(time.time()))
        sig = signature or str(self._verifier.generate_signature(timestamp=ts, body=body))
        return SignedRequest(
            body, {"content-type": content_type, "x-slack-request-timestamp": ts, "x-slack-signature": sig}
        )

    def slash_command(
        self,
        user_id: str,
        channel_id: str,
        text: str = "",
        *,
        command: str = "/rollback",
        channel_name: str = "inc-pharmabot",
    ) -> SignedRequest:
        actor = self._actor(user_id, self._response_url("commands", channel_id, user_id, None))
        fields = payloads.slash_command_fields(
            self.workspace, actor, channel_id=channel_id, channel_name=channel_name, command=command, text=text
        )
        return self.sign(urlencode(fields), FORM)

    def block_action_message(
        self,
        user_id: str,
        channel_id: str,
        message_ts: str,
        action_id: str,
        value: str | None,
        *,
        block_id: str = "b",
        message: JsonDict | None = None,
    ) -> SignedRequest:
        """A click on ``action_id`` in the message ``message_ts`` (looked up on the fake if not given)."""
        ephemeral = message is None and self._is_ephemeral(channel_id, user_id, message_ts)
        if message is None and not ephemeral:
            message = self._message(channel_id, message_ts)
        blocks = message.get("blocks") if message else None
        found_block_id, element = payloads.find_element(blocks, action_id)
        action = payloads.build_action(element, action_id, found_block_id or block_id, value, None)
        actor = self._actor(user_id, self._response_url("actions", channel_id, user_id, message_ts))
        payload = payloads.message_block_actions(
            self.workspace,
            actor,
            channel=self._channel(channel_id),
            message=None if ephemeral else message,
            message_ts=message_ts,
            action=action,
        )
        return self._interactive(payload)

    def block_action_view(
        self,
        user_id: str,
        view: JsonDict,
        action_id: str,
        value: str | None = None,
        *,
        selected_option: JsonDict | None = None,
        block_id: str = "b",
    ) -> SignedRequest:
        """An interaction with ``action_id`` inside an open modal or Home tab ``view``."""
        found_block_id, element = payloads.find_element(view.get("blocks"), action_id)
        action = payloads.build_action(element, action_id, found_block_id or block_id, value, selected_option)
        payload = payloads.view_block_actions(self.workspace, self._actor(user_id, None), view, action)
        return self._interactive(payload)

    def view_submission(self, user_id: str, view: JsonDict, values: dict[str, dict[str, JsonDict]]) -> SignedRequest:
        """``user_id`` submits ``view`` with ``state.values`` = ``values`` (block_id -> action_id -> value)."""
        payload = payloads.view_submission(self.workspace, self._actor(user_id, None), view, values)
        view_id = view.get("id")
        if self._fake is not None and isinstance(view_id, str) and view_id in self._fake.views():
            self._fake.set_view_state(view_id, payload["view"]["state"]["values"])
        return self._interactive(payload)

    def app_home_opened(self, user_id: str) -> SignedRequest:
        home = self._fake.home(user_id) if self._fake else None
        event = payloads.app_home_opened_event(user_id, home)
        return self.sign(json.dumps(payloads.event_callback(self.workspace, event)), JSON)

    def url_verification(self, challenge: str) -> SignedRequest:
        return self.sign(json.dumps(payloads.url_verification(challenge)), JSON)

    def _interactive(self, payload: JsonDict) -> SignedRequest:
        return self.sign(f"payload={quote(json.dumps(payload))}", FORM)

    def _actor(self, user_id: str, response_url: str | None) -> Actor:
        user = self._fake.user(user_id) if self._fake else None
        trigger_id = (
            self._fake.issue_trigger_id(user_id)
            if self._fake
            else f"{secrets.randbelow(10**10)}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"
        )
        return Actor(user_id, user.name if user else user_id.lower(), trigger_id, response_url)

    def _response_url(self, kind: str, channel_id: str, user_id: str, message_ts: str | None) -> str:
        if self._fake is not None:
            return self._fake.response_url(channel_id, user_id, message_ts=message_ts)
        return (
            f"https://hooks.slack.com/{kind}/{self.workspace.team_id}/{secrets.randbelow(10**12)}/"
            f"{secrets.token_urlsafe(18)}"
        )

    def _channel(self, channel_id: str) -> JsonDict:
        channel = self._fake.channel(channel_id) if self._fake else None
        return channel or {"id": channel_id, "name": channel_id.lower()}

    def _message(self, channel_id: str, message_ts: str) -> JsonDict:
        message = self._fake.message(channel_id, message_ts) if self._fake else None
        return message or {"type": "message", "ts": message_ts, "user": self.workspace.bot_user_id, "text": ""}

    def _is_ephemeral(self, channel_id: str, user_id: str, message_ts: str) -> bool:
        if self._fake is None:
            return False
        return any(e["ts"] == message_ts for e in self._fake.ephemerals(channel_id, user_id))
