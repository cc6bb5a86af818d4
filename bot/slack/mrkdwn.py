"""Slack text from neutral values: people's text escaped, the bot's own markup only through helpers.

Anything a person typed or that came from outside the bot (reasons, notes, names of revisions, prompts
and images, Azure's error text, timeline summaries, checklist evidence) reaches mrkdwn through
``escape`` (or ``render``, which escapes a message's text and adds its mentions): no ``<!channel>``,
``<@U…>``, ``<#C…>`` or ``<https://…|disguised>`` link can come from it. The bot's own markup is made by
``mention`` (ids it validated), ``date`` and nothing else.

Every text built from data fits Slack's limit for where it goes: ``truncate`` shortens with "…" and never
cuts an entity (``&amp;``) or a token (``<@U…>``) in half; ``md`` and ``plain`` are text objects that fit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from slack_sdk.models.blocks import MarkdownTextObject, PlainTextObject

from bot.text import Mention, Text

ELLIPSIS = "…"
# Slack's documented limits (Block Kit reference) for what the builders fill from data.
SECTION_TEXT = 3000
FIELD_TEXT = 2000
CONTEXT_TEXT = 3000
HEADER_TEXT = 150
OPTION_TEXT = 75
OPTION_DESCRIPTION = 75
OPTION_VALUE = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
PRIVATE_METADATA = 3000
MESSAGE_TEXT = 4000  # the notification fallback ``text`` (Slack truncates longer ones)

_IDS = {
    "user": re.compile(r"[UW][A-Z0-9]{2,20}"),
    "usergroup": re.compile(r"S[A-Z0-9]{2,20}"),
    "channel": re.compile(r"[CG][A-Z0-9]{2,20}"),
}


def escape(text: str) -> str:
    """Text a person typed (or any outside value) made inert in mrkdwn: no mentions, pings or links from it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(who: Mention) -> str:
    """``<@U…>``, ``<!subteam^S…>`` or ``<#C…>`` for an id of the right shape; anything else as escaped text."""
    if not _IDS[who.kind].fullmatch(who.id):
        return escape(who.plain())
    if who.kind == "user":
        return f"<@{who.id}>"
    if who.kind == "usergroup":
        return f"<!subteam^{who.id}>"
    return f"<#{who.id}>"


def user(user_id: str) -> str:
    """A person by Slack id (a mention), e.g. the requester of a request."""
    return mention(Mention.user(user_id))


DATE_TIME = "{date_short_pretty} {time}"
TIME_SECONDS = "{time_secs}"


def date(moment: datetime, tokens: str = DATE_TIME) -> str:
    """A time every reader sees in their own timezone and words (``<!date^EPOCH^{date_short_pretty} {time}|…>``:
    "today 09:00", "Nov 26, 2026 09:00"), with an unambiguous ISO 8601 fallback in UTC for clients that cannot
    format it (``2026-11-26 09:00 UTC``). A naive ``moment`` is taken as UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    shape = "%Y-%m-%d %H:%M:%S" if tokens == TIME_SECONDS else "%Y-%m-%d %H:%M"
    fallback = f"{aware.astimezone(UTC).strftime(shape)} UTC"
    return f"<!date^{int(aware.timestamp())}^{tokens}|{fallback}>"


def link(url: str, label: str) -> str:
    """``<url|label>`` for a URL the bot got from Slack or built itself (http(s), nothing that ends the token);
    anything else is shown as its escaped label only."""
    if not re.fullmatch(r"https?://[^\s<>|]+", url):
        return escape(label)
    return f"<{url}|{escape(label)}>"


def render(text: Text | str) -> str:
    """A message for Slack: its text escaped, its mentions (data, validated) as Slack mentions."""
    if isinstance(text, str):
        return escape(text)
    if not text.mentions:
        return escape(text.template)
    return escape(text.template).format(**{key: mention(m) for key, m in text.mentions})


def truncate(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else cut with "…", never inside ``&…;`` or ``<…>``."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ELLIPSIS))]
    opened = cut.rfind("<")
    if opened > cut.rfind(">"):
        cut = cut[:opened]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ELLIPSIS


def md(text: str, limit: int = SECTION_TEXT) -> MarkdownTextObject:
    """A mrkdwn text object that fits (``text`` must already be escaped or built by the helpers above)."""
    return MarkdownTextObject(text=truncate(text, limit))


def plain(text: str, limit: int) -> PlainTextObject:
    """A plain_text object that fits (plain text shows as written: Slack parses no markup in it)."""
    return PlainTextObject(text=truncate(text, limit))


def code(lines: Sequence[str], limit: int = SECTION_TEXT) -> str:
    """Lines in a code block (escaped), the block closed even when the lines are cut."""
    fence = "```"
    return fence + truncate(escape("\n".join(lines)), limit - 2 * len(fence)) + fence
