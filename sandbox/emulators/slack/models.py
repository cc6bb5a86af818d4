"""Value types of the Slack fake: users, channels, recorded calls, Slack error answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class SlackUser:
    """A person (or bot) as ``users.info`` describes them.

    ``is_restricted`` is a multi-channel guest, ``is_ultra_restricted`` a single-channel guest. A Slack
    Connect user from another organization has that organization's ``team_id`` (None: this workspace) and,
    when the workspace has no relationship with it, ``is_stranger``.
    """

    id: str
    name: str
    real_name: str = ""
    is_bot: bool = False
    is_app_user: bool = False
    deleted: bool = False
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    is_admin: bool = False
    team_id: str | None = None
    is_stranger: bool = False

    def to_api(self, team_id: str) -> JsonDict:
        real_name = self.real_name or self.name
        home = self.team_id or team_id
        user: JsonDict = {
            "id": self.id,
            "team_id": home,
            "name": self.name,
            "real_name": real_name,
            "deleted": self.deleted,
            "is_bot": self.is_bot,
            "is_app_user": self.is_app_user,
            "is_restricted": self.is_restricted,
            "is_ultra_restricted": self.is_ultra_restricted,
            "is_admin": self.is_admin,
            "is_owner": False,
            "is_primary_owner": False,
            "tz": "Europe/Berlin",
            "profile": {"real_name": real_name, "display_name": self.name, "team": home},
        }
        if self.is_stranger:
            user["is_stranger"] = True
        return user


@dataclass(frozen=True)
class SlackChannel:
    """A conversation as ``conversations.info`` describes it."""

    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    is_im: bool = False
    is_member: bool = True  # whether the bot is in it (anyone can create a channel the bot is not in)

    def to_api(self, team_id: str, creator: str) -> JsonDict:
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not (self.is_private or self.is_im),
            "is_group": self.is_private,
            "is_im": self.is_im,
            "is_mpim": False,
            "is_private": self.is_private or self.is_im,
            "is_archived": self.is_archived,
            "is_general": False,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": self.is_member,
            "context_team_id": team_id,
            "creator": creator,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }


@dataclass(frozen=True)
class SlackCall:
    """One request the fake answered: Web API method (or ``response_url``), parsed body, outcome."""

    method: str
    body: JsonDict
    headers: dict[str, str]
    at: float
    ok: bool
    error: str | None


class SlackError(Exception):
    """An error answer: ``{"ok": false, "error": ...}`` (HTTP 200 unless ``status`` says otherwise)."""

    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        extra: JsonDict | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> JsonDict:
        return {"ok": False, "error": self.error, **self.extra}


@dataclass
class Fault:
    """A queued failure for the next ``remaining`` calls of one method (``fail_next``)."""

    error: str
    status: int
    retry_after: int | None
    remaining: int

    def to_error(self) -> SlackError:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        return SlackError(self.error, status=self.status, headers=headers)
