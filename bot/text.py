"""Messages that name people, user groups or channels, with the names kept as data.

The core never writes Slack markup. A message that names someone is a template with ``{key}``
placeholders and the mentions it refers to; each surface renders it: Slack as ``<@U…>``,
``<!subteam^S…>`` and ``<#C…>``, the command line and the audit log as plain text.

    Text.of("Request #3 is already approved by {who}.", who=Mention.user("U0BOB"))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

MentionKind = Literal["user", "usergroup", "channel"]


@dataclass(frozen=True)
class Mention:
    """A Slack user, user group or channel, by id."""

    kind: MentionKind
    id: str

    @classmethod
    def user(cls, user_id: str) -> Mention:
        """A person (``U…``/``W…``)."""
        return cls("user", user_id)

    @classmethod
    def usergroup(cls, group_id: str) -> Mention:
        """A user group (``S…``)."""
        return cls("usergroup", group_id)

    @classmethod
    def channel(cls, channel_id: str) -> Mention:
        """A channel (``C…``/``G…``)."""
        return cls("channel", channel_id)

    def plain(self) -> str:
        """How the command line and the audit log say it."""
        return {"user": self.id, "usergroup": f"user group {self.id}", "channel": f"channel {self.id}"}[self.kind]


@dataclass(frozen=True)
class Text:
    """A message template and the mentions its ``{key}`` placeholders stand for."""

    template: str
    mentions: tuple[tuple[str, Mention], ...] = ()

    @classmethod
    def of(cls, template: str, **mentions: Mention) -> Text:
        """``template`` with ``{key}`` placeholders for ``mentions`` (no mentions: taken literally)."""
        return cls(template, tuple(mentions.items()))

    def render(self, mention: Callable[[Mention], str]) -> str:
        """The text with each mention rendered by ``mention``."""
        if not self.mentions:
            return self.template
        return self.template.format(**{key: mention(m) for key, m in self.mentions})

    def plain(self) -> str:
        """The text for the command line and logs."""
        return self.render(Mention.plain)

    def __str__(self) -> str:
        return self.plain()


def iso_time(moment: datetime) -> str:
    """An instant for the command line: ISO 8601 in UTC with its zone, to the minute (``2026-12-02T03:59Z``); a
    naive ``moment`` is taken as UTC. JSON output uses ``isoformat()`` of the aware value (``+00:00``)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return f"{aware.astimezone(UTC):%Y-%m-%dT%H:%M}Z"
