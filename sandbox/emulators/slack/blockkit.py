"""Block Kit validation as Slack's servers do it, as a pure module.

Every block is parsed with ``slack_sdk.models.blocks.Block.parse`` and rendered with ``to_dict()`` (which
runs slack_sdk's ``JsonValidator`` checks). Whatever the SDK silently drops or rewrites while doing so
(unknown properties such as ``disabled``, unknown element types, a string where an object belongs) is
reported too, because Slack rejects it. On top come the surface rules the SDK does not check: at most 50
blocks in a message and 100 in a view, no ``input`` blocks in messages, modal titles of 1-24 characters,
``submit`` whenever a modal has input blocks, and no ``submit``/``close`` on Home tabs.

Each problem is one string ``"<reason> [json-pointer:/blocks/N/...]"``, like the ``errors`` list of an
``invalid_blocks`` answer; an empty list means valid.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
VIEW_TEXT_LIMIT = 24
VIEW_TYPES = ("modal", "home")
VIEW_KEYS = frozenset(View.attributes) | {"submit_disabled"}
_CHECKED_VIEW_KEYS = frozenset({"blocks", "title", "submit", "close", "submit_disabled"})

_MISSING_ARGUMENT = re.compile(r"required keyword-only argument: '(\w+)'")


def _block_classes(cls: type[Block]) -> Iterator[type[Block]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _block_classes(sub)


KNOWN_BLOCK_TYPES = frozenset(
    block_type for sub in _block_classes(Block) if isinstance(block_type := getattr(sub, "type", None), str)
)


def _at(reason: str, pointer: str) -> str:
    return f"{reason} [json-pointer:{pointer}]"


def validate_message_blocks(blocks: object) -> list[str]:
    """Problems Slack would report for ``blocks`` of a message (chat.*, response_url); [] if valid.

    Accepts plain dicts or slack_sdk ``Block`` objects (as builders may return either).
    """
    return _validate_block_list(blocks, "/blocks", limit=MESSAGE_BLOCK_LIMIT, surface="message")


def validate_view(view: object) -> list[str]:
    """Problems Slack would report for a modal or Home tab view (views.*); [] if valid.

    Accepts a plain dict or a slack_sdk ``View``.
    """
    view, error = _plain(view, "/view")
    if error:
        return [error]
    if not isinstance(view, dict):
        return [_at("must provide an object", "/view")]
    view_type = view.get("type")
    if view_type not in VIEW_TYPES:
        return [_at(f"must be one of {list(VIEW_TYPES)}", "/view/type")]
    errors = [_at(f"invalid additional property: {key}", f"/view/{key}") for key in view if key not in VIEW_KEYS]
    errors += _validate_view_texts(view)
    errors += _validate_view_object(view)
    errors += _validate_block_list(view.get("blocks"), "/view/blocks", limit=VIEW_BLOCK_LIMIT, surface="view")
    return errors


def _validate_view_texts(view: dict[str, Any]) -> list[str]:
    if view["type"] == "home":
        return [
            _at("home view cannot have submit and close", f"/view/{key}") for key in ("submit", "close") if key in view
        ]
    errors = [] if "title" in view else [_at("missing required field: title", "/view")]
    for key in ("title", "submit", "close"):
        errors += _validate_view_text(view.get(key), f"/view/{key}")
    blocks = view.get("blocks")
    has_input = isinstance(blocks, list) and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if has_input and "submit" not in view:
        errors.append(_at("must provide a submit property when using input blocks", "/view"))
    return errors


def _validate_view_text(text: object, pointer: str) -> list[str]:
    if text is None:
        return []
    if not isinstance(text, dict) or text.get("type") != "plain_text":
        return [_at("must be a plain_text object", pointer)]
    value = text.get("text")
    if not isinstance(value, str) or not 1 <= len(value) <= VIEW_TEXT_LIMIT:
        return [_at(f"must be between 1 and {VIEW_TEXT_LIMIT} characters", f"{pointer}/text")]
    return []


def _validate_view_object(view: dict[str, Any]) -> list[str]:
    """The other view-level slack_sdk validators (private_metadata, callback_id lengths...)."""
    fields = {key: value for key, value in view.items() if key in VIEW_KEYS - _CHECKED_VIEW_KEYS}
    try:
        View(**fields, blocks=[{"type": "divider"}]).to_dict()
    except (SlackObjectFormationError, TypeError, ValueError, AttributeError) as exc:
        return [_at(str(exc), "/view")]
    return []


def _validate_block_list(blocks: object, pointer: str, *, limit: int, surface: str) -> list[str]:
    if not isinstance(blocks, list):
        return [_at("must provide an array", pointer)]
    if not blocks and surface == "view":
        return [_at("must provide at least 1 items", pointer)]
    if len(blocks) > limit:
        return [_at(f"no more than {limit} items allowed", pointer)]
    errors: list[str] = []
    for index, block in enumerate(blocks):
        errors += _validate_block(block, f"{pointer}/{index}", surface=surface)
    return errors


def _plain(value: object, pointer: str) -> tuple[object, str | None]:
    """slack_sdk model objects as the dicts WebClient would send (their own validators run here)."""
    if not isinstance(value, JsonObject):
        return value, None
    try:
        return value.to_dict(), None
    except SlackObjectFormationError as exc:
        return None, _at(str(exc), pointer)


def _validate_block(block: object, pointer: str, *, surface: str) -> list[str]:
    block, error = _plain(block, pointer)
    if error:
        return [error]
    if not isinstance(block, dict):
        return [_at("must provide an object", pointer)]
    type_error = _check_block_type(block.get("type"), pointer, surface)
    return [type_error] if type_error else _round_trip(block, pointer)


def _round_trip(block: dict[str, Any], pointer: str) -> list[str]:
    """Parse with slack_sdk and render with ``to_dict()``: its validators, then what it dropped."""
    try:
        parsed = Block.parse(block)
        rendered = parsed.to_dict() if parsed is not None else None
    except SlackObjectFormationError as exc:
        return [_at(str(exc), pointer)]
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        return [_at(_describe_parse_error(exc), pointer)]
    if rendered is None:
        return [_at(f"unsupported type: {block['type']}", f"{pointer}/type")]
    return list(_diff(block, rendered, pointer))


def _check_block_type(block_type: object, pointer: str, surface: str) -> str | None:
    if not isinstance(block_type, str):
        return _at("missing required field: type", pointer)
    if block_type not in KNOWN_BLOCK_TYPES or (surface == "message" and block_type == "input"):
        return _at(f"unsupported type: {block_type}", f"{pointer}/type")
    return None


def _describe_parse_error(exc: Exception) -> str:
    missing = _MISSING_ARGUMENT.search(str(exc))
    if missing:
        return f"missing required field: {missing.group(1)}"
    return f"invalid block: {exc}"


def _diff(original: object, rendered: object, pointer: str) -> Iterator[str]:
    """What slack_sdk dropped or rewrote while round-tripping ``original``: Slack rejects those."""
    if isinstance(original, dict):
        if rendered is None and isinstance(original.get("type"), str):
            yield _at(f"unsupported type: {original['type']}", f"{pointer}/type")
            return
        if not isinstance(rendered, dict):
            yield _at("must provide an object", pointer)
            return
        for key, value in original.items():
            yield from _diff_member(key, value, rendered, f"{pointer}/{key}")
    elif isinstance(original, list):
        if not isinstance(rendered, list) or len(rendered) != len(original):
            yield _at("must provide an array", pointer)
            return
        for index, (item, out) in enumerate(zip(original, rendered, strict=True)):
            yield from _diff(item, out, f"{pointer}/{index}")
    elif isinstance(rendered, dict):
        yield _at("must provide an object", pointer)


def _diff_member(key: str, value: object, rendered: dict[str, Any], pointer: str) -> Iterator[str]:
    if value is None or value in ([], {}, ""):
        return
    if key in rendered:
        yield from _diff(value, rendered[key], pointer)
    elif isinstance(value, dict) and isinstance(value.get("type"), str):
        yield _at(f"unsupported type: {value['type']}", f"{pointer}/type")
    else:
        yield _at(f"invalid additional property: {key}", pointer)
