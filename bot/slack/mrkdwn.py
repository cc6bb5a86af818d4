"""Slack mrkdwn from neutral values: mentions as Slack writes them, people's text escaped."""

from __future__ import annotations

from bot.text import Mention, Text


def mention(who: Mention) -> str:
    """``<@U…>``, ``<!subteam^S…>`` or ``<#C…>``."""
    if who.kind == "user":
        return f"<@{who.id}>"
    if who.kind == "usergroup":
        return f"<!subteam^{who.id}>"
    return f"<#{who.id}>"


def render(text: Text | str) -> str:
    """A message for Slack: its mentions as Slack mentions (a plain string is used as it is)."""
    return text.render(mention) if isinstance(text, Text) else text


def escape(text: str) -> str:
    """Text a person typed (or any outside value) made inert in mrkdwn: no mentions, pings or links from it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
