"""Live-state facts as Slack mrkdwn (every value escaped: names come from outside the bot)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.facts import Facts
from bot.slack.mrkdwn import escape


def facts_text(facts: Facts) -> str:
    """``*Title* headline`` then one ``• `subject` detail · detail`` line per row, then notes in italics."""
    head = f"*{escape(facts.title)}*" + (f" {escape(facts.headline)}" if facts.headline else "")
    rows = [f"• `{escape(row[0])}` " + " · ".join(escape(c) for c in row[1:]) for row in facts.rows if row]
    notes = [f"_{escape(note)}_" for note in facts.notes]
    return "\n".join([head, *rows, *notes])


def live_text(sections: Sequence[Facts]) -> str:
    """Every section, one after the other."""
    return "\n".join(facts_text(f) for f in sections)
