"""A static-token credential for the emulator (duck-typed ``azure.core.credentials.TokenCredential``)."""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken


class StaticTokenCredential:
    """Always returns the same bearer token, valid for an hour from each call. Only for the emulator."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)
