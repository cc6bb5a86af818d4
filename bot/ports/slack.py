"""Port for reading Slack's directory (channels, users, user groups)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from bot.domain.people import SlackUserInfo

__all__ = ["SlackDirectory", "SlackUserInfo"]


class SlackDirectory(ABC):
    """Look-ups against the Slack workspace; implementations cache within Slack's rate limits."""

    @abstractmethod
    def channel_name(self, channel_id: str) -> str | None:
        """The channel's name, or None when the bot cannot see it."""

    @abstractmethod
    def user(self, user_id: str) -> SlackUserInfo | None:
        """The user, or None when not found."""

    @abstractmethod
    def usergroup_members(self, usergroup_id: str) -> frozenset[str]:
        """Member user ids of a user group (empty when the group does not exist)."""
