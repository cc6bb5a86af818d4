"""What a schema rollback would start from: the database server and its earliest restore point."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.releases import LayerItem

VERSION = 1


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


def migration_item(head: str | None) -> LayerItem:
    """The application's migration head as a release's schema item (never planned back by a release rollback)."""
    return LayerItem("migration head", head or "none", f"migration head {head or 'none'}")
