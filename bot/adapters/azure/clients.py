"""Real Azure SDK clients built from ``AzureConfig``, with bounded retries and bounded long-running operations.

* ``cloud`` selects the ARM endpoint and credential scope (``azure.mgmt.core.tools.get_arm_endpoints``), the
  Entra ID authority (``azure.identity.AzureAuthorityHosts``) and the AI Search audience.
* ``arm_endpoint`` overrides the ARM endpoint; ``ca_bundle`` becomes ``connection_verify``.
* ``credential: emulator`` uses a static token and is refused unless every endpoint is loopback.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from azure.core import AzureClouds
from azure.core.credentials import AccessToken, AzureKeyCredential, TokenCredential
from azure.core.exceptions import AzureError as SdkAzureError
from azure.core.exceptions import HttpResponseError
from azure.core.polling import LROPoller
from azure.identity import AzureAuthorityHosts, DefaultAzureCredential
from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.core.tools import get_arm_endpoints
from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient
from azure.monitor.query import LogsQueryClient
from azure.search.documents.indexes import SearchIndexClient

from bot.adapters.azure.errors import Call, lro_failed, lro_timed_out, to_bot_error
from bot.adapters.azure.policies import BoundedARMPolling, BoundedRetryPolicy, LroStillRunning
from bot.config import AzureConfig, is_loopback
from bot.errors import ConfigError

T = TypeVar("T")
EMULATOR_TOKEN = "emulator-token"  # noqa: S105 - a fixed, public token accepted only by local emulators

_CLOUDS = {
    "public": (AzureClouds.AZURE_PUBLIC_CLOUD, AzureAuthorityHosts.AZURE_PUBLIC_CLOUD, "https://search.azure.com"),
    "china": (AzureClouds.AZURE_CHINA_CLOUD, AzureAuthorityHosts.AZURE_CHINA, "https://search.azure.cn"),
    "usgov": (AzureClouds.AZURE_US_GOVERNMENT, AzureAuthorityHosts.AZURE_GOVERNMENT, "https://search.azure.us"),
}

# Log Analytics query endpoints per cloud (also the token audience).
_LOGS = {
    "public": "https://api.loganalytics.io",
    "china": "https://api.loganalytics.azure.cn",
    "usgov": "https://api.loganalytics.us",
}


@dataclass(frozen=True)
class CloudEndpoints:
    """Where a cloud's services live and which token audiences they expect."""

    cloud_setting: AzureClouds
    arm_endpoint: str
    arm_scope: str
    authority: str
    search_audience: str
    logs_endpoint: str


def cloud_endpoints(azure: AzureConfig) -> CloudEndpoints:
    """The endpoints for ``azure.cloud``, with ``arm_endpoint`` applied when set."""
    setting, authority, search_audience = _CLOUDS[azure.cloud]
    arm = get_arm_endpoints(setting)
    return CloudEndpoints(
        cloud_setting=setting,
        arm_endpoint=(azure.arm_endpoint or arm["resource_manager"]).rstrip("/"),
        arm_scope=arm["credential_scopes"][0],
        authority=authority,
        search_audience=search_audience,
        logs_endpoint=_LOGS[azure.cloud],
    )


class StaticTokenCredential:
    """A credential that always returns the same token; for local emulators only."""

    def __init__(self, token: str = EMULATOR_TOKEN) -> None:
        self._token = token

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """Return the static token, valid for an hour from now."""
        return AccessToken(self._token, int(time.time()) + 3600)


def _check_emulator_endpoints(endpoints: Sequence[str]) -> None:
    """Refuse the emulator credential when any endpoint could reach a real service."""
    remote = [e for e in endpoints if not is_loopback(e)]
    if remote:
        raise ConfigError(
            "azure.credential: 'emulator' (a static token) is allowed only when every Azure endpoint is "
            f"loopback (127.0.0.0/8, ::1, localhost); not loopback: {', '.join(remote)}"
        )


class AzureClients:
    """Builds SDK clients that share one credential, the CA bundle and the retry/LRO bounds.

    Bounds (all overridable, e.g. ``polling_interval=0, lro_timeout=0.5`` in tests): transient 5xx and
    connection errors are retried ``retry_total`` times with exponential backoff; Retry-After is honoured for
    at most ``max_retry_wait`` seconds per request; one request with its retries gives up after
    ``request_timeout`` seconds; a long-running operation is abandoned after ``lro_timeout`` seconds.
    """

    def __init__(
        self,
        azure: AzureConfig,
        *,
        search_endpoints: Sequence[str] = (),
        credential: TokenCredential | None = None,
        polling_interval: float = 5.0,
        lro_timeout: float = 120.0,
        retry_total: int = 3,
        retry_backoff_factor: float = 0.5,
        retry_backoff_max: float = 8.0,
        max_retry_wait: float = 30.0,
        request_timeout: float = 90.0,
        connection_timeout: float = 10.0,
        read_timeout: float = 60.0,
        **sdk_kwargs: Any,
    ) -> None:
        self.endpoints = cloud_endpoints(azure)
        if azure.credential == "emulator":
            _check_emulator_endpoints([self.endpoints.arm_endpoint, *search_endpoints])
        self._emulator = azure.credential == "emulator"
        self.credential: TokenCredential = credential or self._make_credential(azure)
        self.polling_interval = polling_interval
        self.lro_timeout = lro_timeout
        self._retry = {
            "retry_total": retry_total,
            "retry_backoff_factor": retry_backoff_factor,
            "retry_backoff_max": retry_backoff_max,
            "timeout": request_timeout,
            "max_retry_wait": max_retry_wait,
        }
        self._kwargs: dict[str, Any] = {
            "connection_timeout": connection_timeout,
            "read_timeout": read_timeout,
            **({"connection_verify": azure.ca_bundle} if azure.ca_bundle else {}),
            **sdk_kwargs,
        }

    def _make_credential(self, azure: AzureConfig) -> TokenCredential:
        """``DefaultAzureCredential`` for the cloud's authority, or the emulator's static token."""
        if azure.credential == "emulator":
            return StaticTokenCredential()
        return DefaultAzureCredential(authority=self.endpoints.authority)

    def _client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments shared by every SDK client (a fresh retry policy each)."""
        return {
            **self._kwargs,
            "retry_policy": BoundedRetryPolicy(**self._retry),
            "polling_interval": self.polling_interval,
        }

    def _arm_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ARM (management) clients."""
        return {
            "base_url": self.endpoints.arm_endpoint,
            "cloud_setting": self.endpoints.cloud_setting,
            "credential_scopes": [self.endpoints.arm_scope],
            **self._client_kwargs(),
        }

    def container_apps(self, subscription_id: str) -> ContainerAppsAPIClient:
        """A Container Apps management client for ``subscription_id``."""
        return ContainerAppsAPIClient(self.credential, subscription_id, **self._arm_kwargs())

    def cognitive_services(self, subscription_id: str) -> CognitiveServicesManagementClient:
        """A Cognitive Services (Azure OpenAI) management client for ``subscription_id``."""
        return CognitiveServicesManagementClient(self.credential, subscription_id, **self._arm_kwargs())

    def postgres(self, subscription_id: str) -> PostgreSQLManagementClient:
        """A PostgreSQL flexible server management client for ``subscription_id``."""
        return PostgreSQLManagementClient(self.credential, subscription_id, **self._arm_kwargs())

    def search_index(self, endpoint: str, api_key: str | None = None) -> SearchIndexClient:
        """An AI Search index client; an admin key when given, else the Entra ID credential."""
        if self._emulator:
            _check_emulator_endpoints([endpoint])
        credential: AzureKeyCredential | TokenCredential = AzureKeyCredential(api_key) if api_key else self.credential
        return SearchIndexClient(endpoint, credential, audience=self.endpoints.search_audience, **self._client_kwargs())

    def logs_query(self, endpoint: str | None = None) -> LogsQueryClient:
        """A Log Analytics query client: the cloud's endpoint unless ``endpoint`` overrides it (the token is
        always for the cloud's Log Analytics audience)."""
        url = (endpoint or self.endpoints.logs_endpoint).rstrip("/")
        if self._emulator:
            _check_emulator_endpoints([url])
        return LogsQueryClient(
            self.credential, endpoint=url, audience=self.endpoints.logs_endpoint, **self._client_kwargs()
        )

    def polling(self, *, lro_options: dict[str, Any] | None = None) -> BoundedARMPolling:
        """A fresh polling method with this client's interval and time bound."""
        return BoundedARMPolling(
            self.polling_interval,
            timeout=self.lro_timeout,
            lro_options=lro_options,
            path_format_arguments={"endpoint": self.endpoints.arm_endpoint},
        )

    def run_lro(
        self,
        call: Call,
        begin: Callable[[BoundedARMPolling], LROPoller[T]],
        *,
        lro_options: dict[str, Any] | None = None,
    ) -> T:
        """Start a long-running operation and wait for it within the time bound.

        ``begin`` receives the polling method to pass as ``polling=``. Errors become ``bot.errors``:
        an initial refusal keeps its HTTP meaning, a Failed/Canceled status or an expired time bound
        becomes ``AzureOperationError`` with the operation id.
        """
        polling = self.polling(lro_options=lro_options)
        try:
            poller = begin(polling)
            poller.wait(self.lro_timeout + 30.0)
            if not poller.done():
                raise LroStillRunning(polling.operation_url, self.lro_timeout)
            return poller.result()
        except LroStillRunning as exc:
            raise lro_timed_out(exc, call) from exc
        except HttpResponseError as exc:
            if polling.started and (exc.status_code or 0) < 400:
                raise lro_failed(exc, call, operation_id=polling.operation_id) from exc
            raise to_bot_error(exc, call, operation_id=polling.operation_id) from exc
        except SdkAzureError as exc:
            raise to_bot_error(exc, call, operation_id=polling.operation_id) from exc
