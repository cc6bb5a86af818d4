"""HealthProbe over HTTPS with requests (short timeout, the configured CA bundle)."""

from __future__ import annotations

import requests

from bot.ports.health import HealthProbe, HealthResult


class RequestsHealthProbe(HealthProbe):
    """GET with a timeout; any network failure becomes a result with no status."""

    def __init__(self, *, ca_bundle: str | None = None, timeout: float = 5.0) -> None:
        self._verify: str | bool = ca_bundle or True
        self._timeout = timeout

    def get(self, url: str) -> HealthResult:
        try:
            response = requests.get(url, timeout=self._timeout, verify=self._verify, allow_redirects=False)
        except requests.RequestException as exc:
            return HealthResult(url=url, status=None, detail=f"no answer ({type(exc).__name__})")
        return HealthResult(url=url, status=response.status_code, detail=response.reason or "")
