"""Build the Azure ports of one service environment from its configuration."""

from __future__ import annotations

from typing import Any

from bot.adapters.azure.clients import AzureClients
from bot.adapters.azure.container_apps import AzureContainerAppsApi
from bot.adapters.azure.openai import AzureModelDeploymentsApi
from bot.adapters.azure.postgres import AzurePostgresApi
from bot.adapters.azure.search import AzureSearchApi
from bot.config import AzureConfig, EnvironmentConfig
from bot.domain.azure import ContainerAppRef, OpenAIAccountRef, PostgresServerRef, SearchAliasRef
from bot.ports.azure import EnvironmentPorts


def build_environment_ports(azure: AzureConfig, env: EnvironmentConfig, **client_kwargs: Any) -> EnvironmentPorts:
    """Ports for the components ``env`` configures; ``client_kwargs`` go to ``AzureClients``.

    Raises:
        ConfigError: ``credential: emulator`` with an endpoint that is not loopback.
    """
    search_endpoints = [env.search.endpoint] if env.search else []
    clients = AzureClients(azure, search_endpoints=search_endpoints, **client_kwargs)
    app, oai, pg, search = env.container_app, env.openai, env.postgres, env.search
    return EnvironmentPorts(
        container_apps=AzureContainerAppsApi(clients=clients) if app else None,
        container_app_ref=ContainerAppRef(app.subscription_id, app.resource_group, app.name) if app else None,
        openai=AzureModelDeploymentsApi(clients=clients) if oai else None,
        openai_ref=OpenAIAccountRef(oai.subscription_id, oai.resource_group, oai.account) if oai else None,
        openai_deployments=tuple(oai.deployments) if oai else (),
        postgres=AzurePostgresApi(clients=clients) if pg else None,
        postgres_ref=PostgresServerRef(pg.subscription_id, pg.resource_group, pg.server) if pg else None,
        search=AzureSearchApi(clients=clients, api_key=search.api_key) if search else None,
        search_ref=SearchAliasRef(search.endpoint, search.alias) if search else None,
    )
