"""Reading Slack payloads into small typed values at the edge (pure; never a KeyError for the user)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from typing import Any

from bot.domain.kinds import KindName, parse_kind
from bot.errors import UsageError
from bot.slack.ids import SlackId

Values = dict[str, dict[str, dict[str, Any]]]


def text_at(payload: Any, *path: str) -> str:
    """The text at ``path`` in a payload (``text_at(body, "user", "id")``); a payload without it is unreadable."""
    node = payload
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, str) or not node:
        raise UsageError("This request from Slack could not be read; try again from the start.")
    return node


def state_values(body: dict[str, Any]) -> Values:
    """What was entered in a submitted view (empty when the payload carries none)."""
    view = body.get("view")
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    return values if isinstance(values, dict) else {}


def _value(values: Values, block: SlackId, action: SlackId) -> dict[str, Any]:
    found = values.get(block.value)
    found = found.get(action.value) if isinstance(found, dict) else None
    return found if isinstance(found, dict) else {}


def _selected(values: Values, block: SlackId, action: SlackId) -> str | None:
    option = _value(values, block, action).get("selected_option")
    value = option.get("value") if isinstance(option, dict) else None
    return str(value) if value is not None else None


def read_target(values: Values) -> tuple[str, str]:
    """The chosen 'service/environment'."""
    raw = _selected(values, SlackId.target_block, SlackId.target_select)
    if not raw or "/" not in raw:
        raise UsageError("Choose a service and environment.")
    service, environment = raw.split("/", 1)
    return service, environment


def read_emergency(values: Values) -> bool:
    """The answer to 'is it a production emergency?'."""
    raw = _selected(values, SlackId.emergency_block, SlackId.emergency_radio)
    if raw not in {"yes", "no"}:
        raise UsageError("Say whether this is a production emergency.")
    return raw == "yes"


def step_one_errors(values: Values) -> dict[str, str]:
    """Errors to show under the first step's inputs, keyed by block id (empty when both are answered)."""
    errors = {}
    for block, read in ((SlackId.target_block, read_target), (SlackId.emergency_block, read_emergency)):
        try:
            read(values)
        except UsageError as exc:
            errors[block.value] = exc.user_message
    return errors


def read_kind(values: Values, kinds: Collection[KindName]) -> KindName:
    """The answer to 'what changed?' (one of ``kinds``)."""
    raw = _selected(values, SlackId.kind_block, SlackId.kind_radio)
    if not raw:
        raise UsageError("Choose what changed.")
    return parse_kind(raw, kinds)


def read_choice(values: Values) -> str | None:
    """The chosen rollback target, if the plan offered a choice."""
    return _selected(values, SlackId.choice_block, SlackId.choice_select)


def read_reason(values: Values) -> str:
    """The free-text reason."""
    return str(_value(values, SlackId.reason_block, SlackId.reason_input).get("value") or "")


def encode_request_ref(request_id: int, *, channel_id: str | None = None) -> str:
    """Button value for a request card (and a dialog's metadata, with the channel its answers go to)."""
    return json.dumps({"request_id": request_id, **({"channel_id": channel_id} if channel_id else {})})


def decode_channel(value: str | None) -> str | None:
    """The channel ``encode_request_ref`` carried, if any."""
    try:
        channel = json.loads(value or "").get("channel_id")
    except (ValueError, AttributeError):
        return None
    return channel if isinstance(channel, str) and channel else None


def read_reject_reason(values: Values) -> str:
    """Why the request is rejected (the reject dialog's text)."""
    return str(_value(values, SlackId.reject_reason_block, SlackId.reject_reason_input).get("value") or "").strip()


def decode_request_ref(value: str | None) -> int:
    """Inverse of ``encode_request_ref``."""
    try:
        request_id = json.loads(value or "")["request_id"]
    except (ValueError, KeyError, TypeError):
        raise UsageError("This button's data could not be read; use `/rollback status` instead.") from None
    if not isinstance(request_id, int):
        raise UsageError("This button's data could not be read; use `/rollback status` instead.")
    return request_id


def delivery_key(body: dict[str, Any]) -> str | None:
    """What makes one delivery unique: a view submission (view id, view hash and what was submitted) or a
    click (action_ts, user, action id). None for anything else (events, slash commands)."""
    kind = body.get("type")
    if kind == "view_submission":
        view = body.get("view") or {}
        if not isinstance(view, dict) or not view.get("id") or not view.get("hash"):
            return None
        state = view.get("state") or {}
        values = state.get("values") if isinstance(state, dict) else None
        submitted = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()
        return f"view:{view['id']}:{view['hash']}:{submitted}"
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        action = actions[0] if isinstance(actions, list) and isinstance(actions[0], dict) else {}
        user = body.get("user") or {}
        user_id = user.get("id") if isinstance(user, dict) else None
        if not action.get("action_ts") or not user_id:
            return None
        return f"action:{action['action_ts']}:{user_id}:{action.get('action_id')}"
    return None
