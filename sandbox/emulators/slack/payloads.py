"""Request payloads in the shapes Slack sends (docs' interaction payloads; bolt-python scenario tests).

Pure functions: everything Slack would know about the workspace comes in through ``Workspace`` and the
arguments. ``requests.SlackRequestFactory`` gathers those (from a ``SlackFake`` when given) and signs.
"""

from __future__ import annotations

import copy
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sandbox.emulators.slack.models import JsonDict

VERIFICATION_TOKEN = "sandbox-verification-token"  # noqa: S105 - Slack's deprecated verification token field
SELECT_TYPES = ("static_select", "external_select", "radio_buttons", "overflow")


@dataclass(frozen=True)
class Workspace:
    """The workspace and app a payload comes from."""

    team_id: str
    team_domain: str
    api_app_id: str
    bot_user_id: str


@dataclass(frozen=True)
class Actor:
    """The person who acted, and the one-shot tokens Slack issued for this payload."""

    user_id: str
    user_name: str
    trigger_id: str
    response_url: str | None = None


def action_ts() -> str:
    return f"{time.time():.6f}"


def slash_command_fields(
    ws: Workspace, actor: Actor, *, channel_id: str, channel_name: str, command: str, text: str
) -> dict[str, str]:
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": ws.team_id,
        "team_domain": ws.team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": actor.user_id,
        "user_name": actor.user_name,
        "command": command,
        "text": text,
        "api_app_id": ws.api_app_id,
        "is_enterprise_install": "false",
        "response_url": actor.response_url or "",
        "trigger_id": actor.trigger_id,
    }


def interaction(ws: Workspace, actor: Actor, payload_type: str) -> JsonDict:
    """Fields every interactivity payload carries."""
    return {
        "type": payload_type,
        "user": {"id": actor.user_id, "username": actor.user_name, "name": actor.user_name, "team_id": ws.team_id},
        "api_app_id": ws.api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": actor.trigger_id,
        "team": {"id": ws.team_id, "domain": ws.team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
    }


def message_block_actions(
    ws: Workspace, actor: Actor, *, channel: JsonDict, message: JsonDict | None, message_ts: str, action: JsonDict
) -> JsonDict:
    """block_actions from a message; ``message`` None means the message was ephemeral."""
    payload = interaction(ws, actor, "block_actions")
    payload["container"] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel["id"],
        "is_ephemeral": message is None,
    }
    payload["channel"] = {"id": channel["id"], "name": channel["name"]}
    if message is not None:
        payload["message"] = message
    payload["state"] = {"values": {}}
    payload["response_url"] = actor.response_url
    payload["actions"] = [action]
    return payload


def view_block_actions(ws: Workspace, actor: Actor, view: JsonDict, action: JsonDict) -> JsonDict:
    """block_actions from a modal or Home tab: no channel, no response_url; selections land in state."""
    payload = interaction(ws, actor, "block_actions")
    payload["container"] = {"type": "view", "view_id": view.get("id")}
    payload["view"] = _with_selection(view, action)
    payload["actions"] = [action]
    return payload


def view_submission(ws: Workspace, actor: Actor, view: JsonDict, values: JsonDict) -> JsonDict:
    payload = interaction(ws, actor, "view_submission")
    submitted = copy.deepcopy(view)
    submitted["state"] = {"values": typed_values(view, values)}
    payload["view"] = submitted
    payload["response_urls"] = []
    return payload


def event_callback(ws: Workspace, event: JsonDict) -> JsonDict:
    now = int(time.time())
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": ws.team_id,
        "api_app_id": ws.api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{secrets.token_hex(5).upper()}",
        "event_time": now,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": ws.team_id,
                "user_id": ws.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_urlsafe(24)}",
    }


def app_home_opened_event(user_id: str, home: JsonDict | None) -> JsonDict:
    """``view`` only when a Home view was published for the user, as Slack does."""
    event: JsonDict = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": f"D{user_id[1:]}",
        "tab": "home",
        "event_ts": action_ts(),
    }
    if home is not None:
        event["view"] = home
    return event


def url_verification(challenge: str) -> JsonDict:
    return {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}


def build_action(
    element: JsonDict | None, action_id: str, block_id: str, value: str | None, selected_option: JsonDict | None
) -> JsonDict:
    """One ``actions[]`` entry; ``element`` is the clicked element from the surface's blocks, if known."""
    element_type = element.get("type") if element else None
    kind = str(element_type or ("static_select" if selected_option else "button"))
    action: JsonDict = {"action_id": action_id, "block_id": block_id, "type": kind, "action_ts": action_ts()}
    if element and "text" in element:
        action["text"] = element["text"]
    if kind in SELECT_TYPES:
        action["selected_option"] = selected_option or _option_for(element, value)
    else:
        action["value"] = value
    return action


def find_element(blocks: Any, action_id: str) -> tuple[str | None, JsonDict | None]:
    """(block_id, element) of the interactive element ``action_id`` in ``blocks``."""
    for block in blocks if isinstance(blocks, list) else []:
        for element in _elements_of(block):
            if element.get("action_id") == action_id:
                return block.get("block_id"), element
    return None, None


def typed_values(view: JsonDict, values: JsonDict) -> JsonDict:
    """``state.values`` with each entry's ``type`` filled in from the view's elements when missing."""
    typed: JsonDict = {}
    for block_id, actions in values.items():
        typed[block_id] = {}
        for action_id, entry in actions.items():
            _, element = find_element(view.get("blocks"), action_id)
            kind = element.get("type") if element else "plain_text_input"
            typed[block_id][action_id] = {"type": kind, **entry}
    return typed


def _elements_of(block: Any) -> list[JsonDict]:
    if not isinstance(block, dict):
        return []
    found = [block[key] for key in ("accessory", "element") if isinstance(block.get(key), dict)]
    if block.get("type") == "actions":
        found += [e for e in block.get("elements", []) if isinstance(e, dict)]
    return found


def _option_for(element: JsonDict | None, value: str | None) -> JsonDict:
    options = list((element or {}).get("options", []))
    for group in (element or {}).get("option_groups", []):
        options += group.get("options", [])
    match = next((o for o in options if isinstance(o, dict) and o.get("value") == value), None)
    return copy.deepcopy(match) if match else {"text": {"type": "plain_text", "text": str(value)}, "value": value}


def _with_selection(view: JsonDict, action: JsonDict) -> JsonDict:
    updated = copy.deepcopy(view)
    updated.setdefault("state", {"values": {}})
    if "selected_option" in action:
        entry = {"type": action["type"], "selected_option": action["selected_option"]}
        updated["state"].setdefault("values", {}).setdefault(action["block_id"], {})[action["action_id"]] = entry
    return updated
