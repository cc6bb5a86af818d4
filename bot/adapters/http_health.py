"""HealthProbe over HTTPS with requests (short timeout, the configured CA bundle)."""

from __future__ import annotations

import threading

import requests

from bot.domain.secrets import SecretText
from bot.ports.health import HealthProbe, HealthResult


class RequestsHealthProbe(HealthProbe):
    """GET with a timeout over a pooled session per thread; any network failure becomes a result with no status."""

    def __init__(self, *, ca_bundle: str | None = None, timeout: float = 5.0) -> None:
        self._verify: str | bool = ca_bundle or True
        self._timeout = timeout
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def get(self, url: SecretText | str) -> HealthResult:
        target = url if isinstance(url, SecretText) else SecretText.plain(url)
        shown = target.redacted()
        try:
            response = self._session().get(
                target.reveal(), timeout=self._timeout, verify=self._verify, allow_redirects=False
            )
        except requests.RequestException as exc:  # its text holds the URL: said by type only
            return HealthResult(url=shown, status=None, detail=f"no answer ({type(exc).__name__})")
        return HealthResult(url=shown, status=response.status_code, detail=response.reason or "")
