"""Whether Slack accepts the bot token: ``auth.test``, for start-up and for ``/health/ready``."""

from __future__ import annotations

from http.client import HTTPException

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError as SdkSlackApiError

from bot.errors import ConfigError, SlackApiError

# Answers that mean the token itself is wrong: waiting will not fix them.
REFUSED = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type"}


class SlackAuthCheck:
    """Calls ``auth.test`` once per call (no retries of its own: the caller decides when to try again)."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def __call__(self) -> None:
        """Return quietly when Slack answers and accepts the token.

        Raises:
            ConfigError: Slack refused SLACK_BOT_TOKEN.
            SlackApiError: Slack could not be reached, timed out or failed (worth another try).
        """
        try:
            self._client.auth_test()
        except SdkSlackApiError as exc:
            error = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
            if exc.response.status_code == 429:
                return  # rate limited: Slack answers and the token is not in question
            if error in REFUSED:
                raise ConfigError(
                    f"Slack refused SLACK_BOT_TOKEN ({error}): use the app's Bot User OAuth Token"
                ) from None
            raise SlackApiError(f"Slack answered auth.test with an error: {error}") from None
        except (OSError, HTTPException) as exc:  # refused, reset, DNS, timeouts (OSError subclasses), bad HTTP
            reason = getattr(exc, "reason", None) or exc
            raise SlackApiError(f"Slack unreachable: {type(reason).__name__}: {reason}") from None
