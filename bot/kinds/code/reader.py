"""The code kind's live state: the app, its revisions and its traffic rules."""

from __future__ import annotations

from typing import Any

from bot.domain.azure import ContainerAppState
from bot.domain.facts import Facts, cell
from bot.kinds.base import LiveState
from bot.kinds.code.planning import newest_first


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


class AppLive(LiveState):
    """A container app as read now."""

    def __init__(self, app: ContainerAppState) -> None:
        self.app = app

    def facts(self) -> Facts:
        app = self.app
        weights = app.traffic.weights(app.latest_revision)
        rows = tuple(
            (
                r.name,
                f"{weights.get(r.name, 0)}%",
                "active" if r.active else "inactive",
                cell(r.health_state),
                cell(r.running_state),
                f"{r.created_time:%Y-%m-%d %H:%M} UTC" if r.created_time else "-",
                cell(r.image),
            )
            for r in newest_first(list(app.revisions))
        )
        return Facts(
            title="Container app",
            headline=f"{app.name} ({app.active_revisions_mode or 'Single'} revision mode, fqdn {cell(app.fqdn)})",
            columns=("REVISION", "TRAFFIC", "ACTIVE", "HEALTH", "RUNNING", "CREATED", "IMAGE"),
            rows=rows,
            notes=(f"traffic rules: {app.traffic.describe(app.latest_revision)}",),
        )

    def to_json(self) -> dict[str, Any]:
        app = self.app
        return {
            "name": app.name,
            "active_revisions_mode": app.active_revisions_mode,
            "fqdn": app.fqdn,
            "traffic": app.traffic.to_json(),
            "revisions": [
                {
                    "name": r.name,
                    "active": r.active,
                    "traffic_weight": r.traffic_weight,
                    "created_time": _iso(r.created_time),
                    "image": r.image,
                    "health_state": r.health_state,
                    "running_state": r.running_state,
                }
                for r in app.revisions
            ],
        }
