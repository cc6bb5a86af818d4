"""The shape of a Slack request, checked before Bolt parses it: what Slack never sends is refused with 400.

Bolt (and the listeners after it) read a request's fields assuming Slack's shapes: a ``view`` without its
``type``, a ``user`` that is a number, an ``actions`` that is a string or a ``payload`` that is not JSON
makes Bolt fail while it builds the request's context, before any listener runs, and the server answers
500. ``malformed`` says what is wrong with a body in one line (None when it has Slack's shape), so the
HTTP layer can refuse it without handing it to Bolt. It only checks types and the presence of what every
listener relies on; what the values mean is the listeners' business.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlparse

FORM = "application/x-www-form-urlencoded"
# Fields that are an id, or an object carrying one: "user": "U1" or {"id": "U1", "team_id": "T1"}.
ID_FIELDS = ("user", "team", "enterprise", "channel")
ID_KEYS = ("id", "team_id", "enterprise_id", "name", "domain")
STR_FIELDS = (
    "type",
    "user_id",
    "team_id",
    "enterprise_id",
    "channel_id",
    "api_app_id",
    "token",
    "trigger_id",
    "response_url",
    "thread_ts",
    "ts",
    "message_ts",
    "callback_id",
    "action_id",
    "block_id",
    "value",
    "command",
    "user_team",
    "context_team_id",
    "context_enterprise_id",
    "function_execution_id",
    "bot_access_token",
    "private_metadata",
    "hash",
    "id",
    "app_installed_team_id",
    "external_id",
    "view_id",
    "tab",
    "action_ts",
)
NESTED = ("event", "message", "previous_message", "item", "assistant_thread", "function_data", "view", "container")
OPTION_FIELDS = ("selected_option", "initial_option")
# What a slash command's listener needs (Slack always sends them).
COMMAND_FIELDS = ("command", "user_id", "channel_id", "team_id", "response_url", "trigger_id")
MAX_DEPTH = 24


class MalformedError(ValueError):
    """What is wrong with a request body."""


def malformed(body: str, content_type: str | None) -> str | None:
    """Why ``body`` is not a request Slack sends (one line), or None when it has Slack's shape."""
    try:
        payload = _parse(body, content_type)
        if payload is not None:
            _check_payload(payload)
    except MalformedError as exc:
        return str(exc)
    return None


def _parse(body: str, content_type: str | None) -> dict[str, Any] | None:
    """Parse as Bolt does (``slack_bolt.request.internals.parse_body``); None for an empty body."""
    if not body:
        return None
    if content_type == "application/json" or body.startswith("{"):
        return _json_object(body, "the body")
    fields = parse_qsl(body, keep_blank_values=True)
    if "payload" in body:
        payload = dict(fields).get("payload")
        return _json_object(payload, "payload") if payload is not None else None
    form = dict(fields)
    if "command" in form:
        missing = [name for name in COMMAND_FIELDS if not form.get(name)]
        if missing:
            raise MalformedError(f"a slash command without {', '.join(missing)}")
        _check_url(form["response_url"], "response_url")
    if "ssl_check" in form and "token" not in form:
        raise MalformedError("an ssl_check without a token")
    return None


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedError(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise MalformedError(f"{what} is not a JSON object")
    return value


def _check_payload(payload: dict[str, Any]) -> None:
    _check_object(payload, "payload", 0)
    kind = payload.get("type")
    if kind in ("view_submission", "view_closed"):
        _need(payload, "view", dict)
        for key in ("type", "id", "callback_id"):
            _need(payload["view"], key, str, where="view")
        _need_user(payload)
    elif kind == "block_actions":
        actions = _need(payload, "actions", list)
        if not actions:
            raise MalformedError("block_actions without actions")
        for action in actions:
            _need(action, "action_id", str, where="an action")
        _need_user(payload)
        if payload.get("view") is not None:
            for key in ("type", "id"):
                _need(payload["view"], key, str, where="view")
    elif kind == "block_suggestion":
        _need(payload, "action_id", str)
        _need_user(payload)
    elif kind == "event_callback":
        _need(payload, "event", dict)
        _need(payload["event"], "type", str, where="event")


def _need_user(payload: dict[str, Any]) -> None:
    _need(payload, "user", dict)
    _need(payload["user"], "id", str, where="user")


def _need(obj: Any, key: str, kind: type, *, where: str = "payload") -> Any:
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, kind):
        raise MalformedError(f"{where}.{key} is missing or not a {kind.__name__}")
    return value


def _check_object(obj: dict[str, Any], where: str, depth: int) -> None:
    """The fields Bolt and the listeners read have Slack's types, here and in the nested objects."""
    if depth > MAX_DEPTH:
        raise MalformedError(f"{where} is nested too deep")
    for key in STR_FIELDS:
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise MalformedError(f"{where}.{key} is not a string")
    if obj.get("response_url"):
        _check_url(obj["response_url"], f"{where}.response_url")
    if "ssl_check" in obj and not isinstance(obj.get("token"), str):
        raise MalformedError(f"{where}: an ssl_check without a token")
    for key in ID_FIELDS:
        _check_id(obj.get(key), f"{where}.{key}")
    _check_nested(obj, where, depth)
    for key in OPTION_FIELDS:
        _check_option(obj.get(key), f"{where}.{key}")
    for key in ("actions", "authorizations", "response_urls"):
        _check_list(obj, key, where, depth)
    _check_response_urls(obj, where)
    _check_options(obj.get("selected_options"), f"{where}.selected_options")
    if obj.get("state") is not None:
        _check_state(obj["state"], f"{where}.state")


def _check_nested(obj: dict[str, Any], where: str, depth: int) -> None:
    """Present means an object (Bolt reads ``body.get("event", {}).get(...)``: a null fails it)."""
    for key in NESTED:
        if key in obj:
            value = obj[key]
            if not isinstance(value, dict):
                raise MalformedError(f"{where}.{key} is not an object")
            _check_object(value, f"{where}.{key}", depth + 1)


def _check_options(options: Any, where: str) -> None:
    if options is None:
        return
    if not isinstance(options, list):
        raise MalformedError(f"{where} is not a list")
    for option in options:
        _check_option(option, f"{where}[]")


def _check_url(value: str, where: str) -> None:
    """The bot posts its answers to a response URL: an http(s) URL with a host, nothing else."""
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or any(c.isspace() for c in value):
        raise MalformedError(f"{where} is not an http(s) URL")


def _check_id(value: Any, where: str) -> None:
    if value is None or isinstance(value, str):
        return
    if not isinstance(value, dict):
        raise MalformedError(f"{where} is neither an id nor an object")
    for key in ID_KEYS:
        if value.get(key) is not None and not isinstance(value[key], str):
            raise MalformedError(f"{where}.{key} is not a string")


def _check_option(value: Any, where: str) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or not isinstance(value.get("value"), str):
        raise MalformedError(f"{where} is not an option with a string value")


def _check_list(obj: dict[str, Any], key: str, where: str, depth: int) -> None:
    """Present means a list of objects (Bolt takes ``len(body["response_urls"])``: a null fails it)."""
    if key not in obj:
        return
    value = obj[key]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise MalformedError(f"{where}.{key} is not a list of objects")
    for item in value:
        _check_object(item, f"{where}.{key}[]", depth + 1)


def _check_response_urls(obj: dict[str, Any], where: str) -> None:
    """At most one: Bolt (1.30) fails building the context of a view submission with several (it logs the
    fact before the context has its logger). The bot's modals ask for none."""
    if len(obj.get("response_urls") or ()) > 1 and "response_url" not in obj:
        raise MalformedError(f"{where}.response_urls has more than one (the bot's modals ask for none)")


def _check_state(state: Any, where: str) -> None:
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(state, dict) or not isinstance(values, dict):
        raise MalformedError(f"{where} has no values object")
    for block in values.values():
        if not isinstance(block, dict) or not all(isinstance(element, dict) for element in block.values()):
            raise MalformedError(f"{where}.values is not blocks of elements")
        for element in _elements(block.values()):
            if element.get("value") is not None and not isinstance(element["value"], str):
                raise MalformedError(f"{where}.values: an element's value is not a string")
            _check_option(element.get("selected_option"), f"{where}.values: selected_option")


def _elements(found: Iterable[Any]) -> list[dict[str, Any]]:
    return [element for element in found if isinstance(element, dict)]
