"""Open modal view stacks (one per user, at most 3 deep) and published App Home views."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.emulators.slack.models import JsonDict, SlackError

MAX_STACK_DEPTH = 3


@dataclass(frozen=True)
class ViewOwner:
    """Who views belong to: the workspace and the app that opened them."""

    team_id: str
    app_id: str
    bot_id: str


class ViewStore:
    """Views as Slack keeps them: every record has ``id``, ``hash``, ``state`` and the spec's fields."""

    def __init__(self, owner: ViewOwner, clock: Callable[[], float]) -> None:
        self._owner = owner
        self._clock = clock
        self._views: dict[str, JsonDict] = {}
        self._stacks: dict[str | None, list[str]] = {}
        self._homes: dict[str, str] = {}
        self._seq = 0

    def open(self, spec: JsonDict, user_id: str | None) -> JsonDict:
        self.clear(user_id)
        self._check_external_id(spec)
        view = self._create(spec, previous=None, root=None)
        self._stacks[user_id] = [view["id"]]
        return view

    def push(self, spec: JsonDict, user_id: str | None) -> JsonDict:
        stack = self._stacks.get(user_id)
        if not stack:
            return self.open(spec, user_id)
        if len(stack) >= MAX_STACK_DEPTH:
            raise SlackError("push_limit_reached")
        self._check_external_id(spec)
        view = self._create(spec, previous=stack[-1], root=stack[0])
        stack.append(view["id"])
        return view

    def update(
        self, spec: JsonDict, *, view_id: str | None, external_id: str | None, view_hash: str | None
    ) -> JsonDict:
        view = self._find(view_id, external_id)
        if view_hash and view_hash != view["hash"]:
            raise SlackError("hash_conflict")
        return self._replace(view, spec)

    def publish(self, spec: JsonDict, user_id: str, view_hash: str | None) -> JsonDict:
        home_id = self._homes.get(user_id)
        if home_id is None:
            self._check_external_id(spec)
            view = self._create(spec, previous=None, root=None)
            self._homes[user_id] = view["id"]
            return view
        home = self._views[home_id]
        if view_hash and view_hash != home["hash"]:
            raise SlackError("hash_conflict")
        return self._replace(home, spec)

    def close(self, view_id: str) -> None:
        """Close a modal and every view pushed above it."""
        for stack in self._stacks.values():
            if view_id in stack:
                for closed in stack[stack.index(view_id) :]:
                    del self._views[closed]
                del stack[stack.index(view_id) :]
                return
        raise SlackError("not_found")

    def clear(self, user_id: str | None) -> None:
        for view_id in self._stacks.pop(user_id, []):
            del self._views[view_id]

    def owner_of(self, view_id: str) -> str | None:
        return next((user for user, stack in self._stacks.items() if view_id in stack), None)

    def set_state(self, view_id: str, values: JsonDict) -> None:
        self._find(view_id, None)["state"] = {"values": copy.deepcopy(values)}

    def get(self, view_id: str) -> JsonDict:
        return self._find(view_id, None)

    def modals(self) -> dict[str, JsonDict]:
        return {vid: copy.deepcopy(self._views[vid]) for stack in self._stacks.values() for vid in stack}

    def home(self, user_id: str) -> JsonDict | None:
        home_id = self._homes.get(user_id)
        return copy.deepcopy(self._views[home_id]) if home_id else None

    def homes(self) -> dict[str, JsonDict]:
        return {user: copy.deepcopy(self._views[vid]) for user, vid in self._homes.items()}

    def _create(self, spec: JsonDict, *, previous: str | None, root: str | None) -> JsonDict:
        self._seq += 1
        view_id = f"V{self._seq:010d}"
        view = {
            "id": view_id,
            "team_id": self._owner.team_id,
            "type": spec["type"],
            "state": {"values": {}},
            "previous_view_id": previous,
            "root_view_id": root or view_id,
            "app_id": self._owner.app_id,
            "app_installed_team_id": self._owner.team_id,
            "bot_id": self._owner.bot_id,
        }
        self._views[view_id] = view
        return self._replace(view, spec)

    def _replace(self, view: JsonDict, spec: JsonDict) -> JsonDict:
        blocks = copy.deepcopy(spec.get("blocks", []))
        kept = {b.get("block_id") for b in blocks}
        values = {k: v for k, v in view["state"]["values"].items() if k in kept}
        view.update(
            {
                "type": spec["type"],
                "blocks": blocks,
                "title": copy.deepcopy(spec.get("title")),
                "close": copy.deepcopy(spec.get("close")),
                "submit": copy.deepcopy(spec.get("submit")),
                "private_metadata": spec.get("private_metadata", ""),
                "callback_id": spec.get("callback_id", ""),
                "external_id": spec.get("external_id", view.get("external_id", "")),
                "clear_on_close": bool(spec.get("clear_on_close")),
                "notify_on_close": bool(spec.get("notify_on_close")),
                "state": {"values": values},
                "hash": f"{int(self._clock())}.{secrets.token_urlsafe(6)}",
            }
        )
        return copy.deepcopy(view)

    def _find(self, view_id: str | None, external_id: str | None) -> JsonDict:
        for view in self._views.values():
            if (view_id and view["id"] == view_id) or (external_id and view["external_id"] == external_id):
                return view
        raise SlackError("not_found")

    def _check_external_id(self, spec: JsonDict) -> None:
        external_id = spec.get("external_id")
        if external_id and any(v["external_id"] == external_id for v in self._views.values()):
            raise SlackError("duplicate_external_id")
