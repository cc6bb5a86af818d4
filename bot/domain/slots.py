"""One change in flight per target: the slot a request, a drill or a process holds on a service/environment.

Every change to a target holds its slot, in the database, for as long as it may write: a rollback request
from the moment it is opened until it is finished, a drill the same way (drills are requests), and a process
such as a deploy for as long as its lease is renewed. Whatever finds the slot taken is refused with who
holds it and since when.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.rollback_requests import ServiceEnv
from bot.text import Mention, Text

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]+$")


class HolderKind(StrEnum):
    """What holds a slot. Requests (rollbacks and drills) hold it through their request row; the others are
    processes that hold it under a lease they renew (a crashed holder frees it when its lease runs out)."""

    rollback = "rollback"
    drill = "drill"
    deploy = "deploy"
    schema_restore = "schema_restore"
    release_rollback = "release_rollback"

    @property
    def label(self) -> str:
        """How people read it: 'rollback request', 'drill', 'deploy' …"""
        return {"rollback": "rollback request", "drill": "drill"}.get(self.value, self.value.replace("_", " "))


@dataclass(frozen=True)
class SlotHolder:
    """Who holds a target's slot, since when (the database's clock) and, for a process, until when."""

    target: ServiceEnv
    kind: HolderKind
    ref: str  # the request id for requests, the process's own reference otherwise
    who: str  # a Slack user id, or "cli:NAME" for a terminal
    since: datetime
    lease_until: datetime | None = None

    @property
    def request_id(self) -> int | None:
        """The request holding the slot, when a request does."""
        return int(self.ref) if self.kind in (HolderKind.rollback, HolderKind.drill) else None

    def describe(self) -> Text:
        """'rollback request #12 by @alice since 09:01 UTC' (the person as a mention when a Slack user)."""
        ref = f"#{self.ref}" if self.request_id is not None else self.ref.replace("{", "{{").replace("}", "}}")
        when = f"since {self.since:%Y-%m-%d %H:%M} UTC"
        if _SLACK_USER.match(self.who):
            return Text.of(f"{self.kind.label} {ref} by {{who}} {when}", who=Mention.user(self.who))
        return Text(f"{self.kind.label} {ref} by {self.who} {when}")


def busy_message(holder: SlotHolder) -> Text:
    """The refusal for whatever finds ``holder`` in the slot."""
    held = holder.describe()
    return Text(
        f"{holder.target} already has a change in flight: {held.template}; finish or cancel it first.",
        held.mentions,
    )
