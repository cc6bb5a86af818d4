"""What a schema rollback touches: the migration head, a restore's new server, or the database host the app uses.

``SchemaState`` (version 2) is one of three ways back, each a ``subject`` and its ``value``:

* ``down``: the application's migration table and its head;
* ``restore``: the NEW server's name and its state (None: it does not exist yet; ``Ready`` when restored);
* ``cutover``: ``container/ENV_VAR`` of the container app and the host it names on the revisions that serve.

``ServerPoint`` (version 1) is what earlier versions stored for a plan they could only print; it still decodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.releases import LayerItem

VERSION = 1
SCHEMA_VERSION = 2
DOWN, RESTORE, CUTOVER = "down", "restore", "cutover"


@dataclass(frozen=True)
class ServerPoint:
    """A PostgreSQL flexible server, its state and the start of its restore window (ISO-8601)."""

    server: str
    state: str | None
    earliest_restore: str | None

    def to_json(self) -> dict[str, Any]:
        """Versioned JSON."""
        return {"v": VERSION, "server": self.server, "state": self.state, "earliest_restore": self.earliest_restore}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServerPoint:
        """Inverse of ``to_json``."""
        if data.get("v") != VERSION:
            raise ValueError(f"not a schema state of version {VERSION}: {data.get('v')!r}")
        return cls(str(data["server"]), data.get("state"), data.get("earliest_restore"))

    def describe(self) -> str:
        """``pharmabot-db (Ready, restore window from …)``."""
        return (
            f"{self.server} ({self.state or 'state not reported'}, restore window from {self.earliest_restore or '?'})"
        )


@dataclass(frozen=True)
class SchemaState:
    """One way back's subject and its value (see the module docstring)."""

    way: str
    subject: str
    value: str | None

    def to_json(self) -> dict[str, Any]:
        """Versioned JSON."""
        return {"v": SCHEMA_VERSION, "way": self.way, "subject": self.subject, "value": self.value}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SchemaState:
        """Inverse of ``to_json``."""
        if data.get("v") != SCHEMA_VERSION or data.get("way") not in (DOWN, RESTORE, CUTOVER):
            raise ValueError(f"not a schema state of version {SCHEMA_VERSION}: {data.get('v')!r}")
        value = data.get("value")
        return cls(str(data["way"]), str(data["subject"]), str(value) if value is not None else None)

    def describe(self) -> str:
        """``migration head a1b2 (alembic_version)``, ``server x: Provisioning``, ``app/DATABASE_HOST = h``."""
        if self.way == DOWN:
            return f"migration head {self.value or 'none'} ({self.subject})"
        if self.way == RESTORE:
            return f"server {self.subject}: {self.value or 'does not exist'}"
        return f"{self.subject} = {self.value or 'not set'}"


def decode(data: Mapping[str, Any]) -> ServerPoint | SchemaState:
    """A stored schema state of either version."""
    return SchemaState.from_json(data) if data.get("v") == SCHEMA_VERSION else ServerPoint.from_json(data)


def migration_item(head: str | None) -> LayerItem:
    """The application's migration head as a release's schema item (never planned back by a release rollback)."""
    return LayerItem("migration head", head or "none", f"migration head {head or 'none'}")
