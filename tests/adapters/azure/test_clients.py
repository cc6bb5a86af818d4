"""Client construction: cloud selection, endpoint override, CA bundle, and the emulator-credential guard."""

from __future__ import annotations

import pytest
from azure.identity import AzureAuthorityHosts, DefaultAzureCredential

from bot.adapters.azure.clients import AzureClients, StaticTokenCredential, cloud_endpoints, is_loopback
from bot.bootstrap import standalone_environments
from bot.config import AzureConfig
from bot.domain.kinds import CODE
from bot.domain.rollback_requests import ServiceEnv
from bot.errors import ConfigError
from bot.kinds.builtin import BUILTIN


@pytest.mark.parametrize(
    ("cloud", "arm", "scope", "authority", "audience"),
    [
        (
            "public",
            "https://management.azure.com",
            "https://management.azure.com/.default",
            AzureAuthorityHosts.AZURE_PUBLIC_CLOUD,
            "https://search.azure.com",
        ),
        (
            "china",
            "https://management.chinacloudapi.cn",
            "https://management.chinacloudapi.cn/.default",
            AzureAuthorityHosts.AZURE_CHINA,
            "https://search.azure.cn",
        ),
        (
            "usgov",
            "https://management.usgovcloudapi.net",
            "https://management.core.usgovcloudapi.net/.default",
            AzureAuthorityHosts.AZURE_GOVERNMENT,
            "https://search.azure.us",
        ),
    ],
)
def test_cloud_selects_endpoints_scope_and_authority(
    cloud: str, arm: str, scope: str, authority: str, audience: str
) -> None:
    clients = AzureClients(AzureConfig(cloud=cloud))  # type: ignore[arg-type]
    assert clients.endpoints.arm_endpoint == arm
    assert clients.endpoints.arm_scope == scope
    assert clients.endpoints.authority == authority
    assert isinstance(clients.credential, DefaultAzureCredential)
    client = clients.container_apps("sub")
    assert client._config.base_url == arm
    assert client._config.credential_scopes == [scope]
    search = clients.search_index("https://svc.search.windows.net")
    assert search._config.credential_scopes == [f"{audience}/.default"]


def test_arm_endpoint_override_keeps_the_cloud_scope_and_ca_bundle_becomes_connection_verify() -> None:
    config = AzureConfig(cloud="china", arm_endpoint="https://127.0.0.1:8443/", ca_bundle="/tmp/ca.pem")
    clients = AzureClients(config)
    assert cloud_endpoints(config).arm_endpoint == "https://127.0.0.1:8443"
    client = clients.postgres("sub")
    assert client._config.base_url == "https://127.0.0.1:8443"
    assert client._config.credential_scopes == ["https://management.chinacloudapi.cn/.default"]
    assert client._client._pipeline._transport.connection_config.verify == "/tmp/ca.pem"


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("https://127.0.0.1:1234", True),
        ("https://127.9.8.7", True),
        ("https://[::1]:99", True),
        ("https://localhost:5", True),
        ("https://LOCALHOST", True),
        ("https://management.azure.com", False),
        ("https://10.0.0.1", False),
        ("https://localhost.evil.example", False),
        ("https://128.0.0.1", False),
    ],
)
def test_is_loopback(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


def test_emulator_credential_on_loopback_uses_the_static_token() -> None:
    clients = AzureClients(AzureConfig(arm_endpoint="https://127.0.0.1:9", credential="emulator"))
    assert isinstance(clients.credential, StaticTokenCredential)
    assert clients.credential.get_token("https://management.azure.com/.default").token == "emulator-token"


@pytest.mark.parametrize("arm_endpoint", [None, "https://management.azure.com", "https://10.1.2.3:443"])
def test_emulator_credential_refused_for_a_remote_arm_endpoint(arm_endpoint: str | None) -> None:
    with pytest.raises(ConfigError, match="loopback"):
        AzureClients(AzureConfig(arm_endpoint=arm_endpoint, credential="emulator"))


def test_emulator_credential_refused_for_a_remote_search_endpoint() -> None:
    text = """
azure: {arm_endpoint: "https://127.0.0.1:9", credential: emulator}
services:
  - name: pharmabot
    environments:
      - name: prod
        search: {endpoint: "https://pharmabot-search.search.windows.net", alias: drugs}
"""
    with pytest.raises(ConfigError, match=r"loopback.*pharmabot-search\.search\.windows\.net"):
        BUILTIN.parse_config(text, file="c.yaml", env={})
    clients = AzureClients(AzureConfig(arm_endpoint="https://127.0.0.1:9", credential="emulator"))
    with pytest.raises(ConfigError, match=r"pharmabot-search\.search\.windows\.net"):
        clients.search_index("https://pharmabot-search.search.windows.net")


def test_environments_bind_only_configured_kinds() -> None:
    text = "azure: {arm_endpoint: 'https://127.0.0.1:9', credential: emulator}\n"
    text += "services: [{name: svc, environments: [{name: prod}, {name: qa, container_app: "
    text += "{subscription_id: s, resource_group: rg, name: app}}]}]\n"
    environments = standalone_environments(BUILTIN.parse_config(text, file="c.yaml", env={}))
    try:
        assert dict(environments(ServiceEnv("svc", "prod")).kinds) == {}
        assert list(environments(ServiceEnv("svc", "qa")).kinds) == [CODE]
    finally:
        environments.close()
