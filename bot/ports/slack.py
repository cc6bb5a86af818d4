"""Port for reading Slack's directory (the workspace, channels, users, user groups)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from bot.domain.people import SlackChannelInfo, SlackUserInfo

__all__ = ["SlackChannelInfo", "SlackDirectory", "SlackUserInfo"]


class SlackDirectory(ABC):
    """Look-ups against the Slack workspace; implementations cache within Slack's rate limits."""

    @abstractmethod
    def workspace_id(self) -> str | None:
        """The id of the workspace that installed the bot (``auth.test``'s ``team_id``; None for an org install)."""

    @abstractmethod
    def channel(self, channel_id: str) -> SlackChannelInfo | None:
        """The channel's name and whether the bot is a member, or None when the bot cannot see it."""

    @abstractmethod
    def user(self, user_id: str) -> SlackUserInfo | None:
        """The user, or None when not found."""

    @abstractmethod
    def usergroup_members(self, usergroup_id: str) -> frozenset[str]:
        """Member user ids of a user group (empty when the group does not exist)."""
