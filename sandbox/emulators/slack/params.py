"""Reading Web API arguments the way Slack does: JSON or form values, JSON-encoded fields, Slack's errors."""

from __future__ import annotations

import json
from typing import Any

from sandbox.emulators.slack.blockkit import validate_message_blocks, validate_view
from sandbox.emulators.slack.models import JsonDict, SlackError

MAX_TEXT_LENGTH = 40_000
JSON_FIELDS = ("blocks", "attachments", "view")


def decode_json_fields(params: JsonDict) -> JsonDict:
    """Form bodies carry ``blocks``/``attachments``/``view`` as JSON strings; decode those that parse."""
    decoded = dict(params)
    for key in JSON_FIELDS:
        value = decoded.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                decoded[key] = json.loads(value)
            except ValueError:
                continue
    return decoded


def invalid_arguments(*messages: str) -> SlackError:
    return SlackError(
        "invalid_arguments", extra={"response_metadata": {"messages": [f"[ERROR] {m}" for m in messages]}}
    )


def text_arg(params: JsonDict, key: str) -> str | None:
    value = params.get(key)
    return value if isinstance(value, str) and value else None


def required_arg(params: JsonDict, key: str) -> str:
    value = text_arg(params, key)
    if value is None:
        raise invalid_arguments(f"missing required field: {key}")
    return value


def message_content(params: JsonDict, *, required: bool = True) -> JsonDict:
    """``text``/``blocks``/``attachments`` of a message, validated like chat.postMessage does."""
    text = params.get("text")
    blocks = _json_array(params, "blocks")
    attachments = _json_array(params, "attachments")
    if text is not None and not isinstance(text, str):
        raise invalid_arguments("text must be a string")
    if text and len(text) > MAX_TEXT_LENGTH:
        raise SlackError("msg_too_long")
    if blocks is not None:
        errors = validate_message_blocks(blocks)
        if errors:
            raise SlackError("invalid_blocks", extra={"errors": errors})
    if required and not (text or blocks or attachments):
        raise SlackError("no_text")
    return {"text": text, "blocks": blocks, "attachments": attachments}


def view_arg(params: JsonDict, *, expected_type: str | None = None) -> JsonDict:
    """The ``view`` argument, validated like views.* do (``invalid_arguments`` with json-pointers)."""
    view = params.get("view")
    if isinstance(view, str):
        raise invalid_arguments("invalid JSON in view [json-pointer:/view]")
    if view is None:
        raise invalid_arguments("missing required field: view")
    errors = validate_view(view)
    if not errors and expected_type and view["type"] != expected_type:
        errors = [f"must be {expected_type} [json-pointer:/view/type]"]
    if errors:
        raise invalid_arguments(*errors)
    result: JsonDict = view
    return result


def _json_array(params: JsonDict, key: str) -> Any:
    value = params.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        raise SlackError(f"invalid_{key}_format")
    return value
