"""People and channels as the two-person rule sees them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlackUserInfo:
    """What the bot needs to know about a person to apply the two-person rule.

    ``team_id`` is the person's own workspace (``users.info``); ``is_stranger`` marks a Slack Connect user
    from an organization this workspace has no relationship with.
    """

    id: str
    is_bot: bool
    deleted: bool
    is_guest: bool
    team_id: str | None = None
    is_stranger: bool = False

    def why_not_a_member(self, workspace_id: str | None) -> str | None:
        """Why this is not a full member of the workspace ``workspace_id`` (None: a full member)."""
        if self.is_bot:
            return "a bot or app account"
        if self.deleted:
            return "a deactivated account"
        if self.is_guest:
            return "a guest account"
        if self.is_stranger or (workspace_id and self.team_id and self.team_id != workspace_id):
            return "a member of another organization (Slack Connect)"
        return None


@dataclass(frozen=True)
class SlackChannelInfo:
    """A conversation as the bot sees it: its name, and whether the bot is a member of it."""

    id: str
    name: str
    is_member: bool
