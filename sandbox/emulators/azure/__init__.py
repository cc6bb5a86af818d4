"""A local, stateful Azure emulator over HTTPS for tests, demos and the sandbox.

It fakes Azure Resource Manager for Container Apps (``Microsoft.App``), Azure OpenAI deployments
(``Microsoft.CognitiveServices``) and PostgreSQL flexible server (``Microsoft.DBforPostgreSQL``), plus the
Azure AI Search data plane (indexes, aliases, document counts) and the Log Analytics query API (the LLM
calls of the application each workspace watches), so that the real SDK clients work unchanged::

    from sandbox.emulators.azure import AzureEmulator

    with AzureEmulator() as emu:                     # the demo estate; or AzureEmulator("estate.yaml")
        client = ContainerAppsAPIClient(credential, SUB, base_url=emu.url,
                                        connection_verify=emu.ca_path, polling_interval=0)

The only accepted bearer token (and AI Search ``api-key``) is ``emu.token`` (``"emulator-token"``).

Estate format (YAML file or the same dict; every time may be ISO-8601 or relative: ``-40m``, ``-3h``,
``-7d``, ``+30d``, ``now``; any item may override ``subscription``, ``resource_group``, ``location``)::

    subscription: 00000000-0000-0000-0000-000000000001
    resource_group: pharmabot-rg
    location: eastus
    container_apps:
      - name: pharmabot-prod
        environment: pharmabot-env             # managed environment name (default "<rg>-env")
        revisions_mode: Multiple               # or Single
        revisions:                             # oldest first; "v1" means "pharmabot-prod--v1"
          - {name: v1, image: "acr.io/app:1.4.2", created: -3h, healthy: true, active: true, traffic: 0}
          - {name: v2, image: "acr.io/app:1.5.0", created: -40m, healthy: false, traffic: 100}
    openai_accounts:
      - name: pharmabot-openai
        deployments:
          - {name: gpt4o-stable, model: gpt-4o, version: "2024-08-06", since: -2h,
             history: [{version: "2024-05-13", since: -60d}], upgrade: NoAutoUpgrade, sku: Standard,
             capacity: 10}
        models:                                # catalog; versions a deployment used are added anyway
          - {name: gpt-4o, version: "2024-02-15", lifecycle: Deprecated, retires: -30d}
    postgres_servers:
      - {name: pharmabot-db, version: "16", retention_days: 7, earliest_restore: -7d,
         backups: {daily: 7, newest: -3h}}     # or a list: [{completed: -3h, type: Full, source: Automatic}]
    search:
      indexes: {drugs-v1: 12000, drugs-v2: 12450}   # name: document count
      aliases: {drugs: drugs-v2}
    log_analytics_workspaces:
      - {id: 6f4c2a9e-1b7d-4c3e-9a8f-0d1e2f3a4b5c, container_app: pharmabot-prod, calls_per_minute: 60,
         revisions: {v2: {error_rate: 0.25, p95_ms: 2400}}}   # the rest: README.md

Revision ``healthy: false`` gives ``healthState: Unhealthy`` and (when active) ``runningState: Degraded``;
``traffic`` weights go to ``ingress.traffic`` (none given: 100 % to the latest revision). Run it alone
with ``python -m sandbox.emulators.azure [--estate FILE] [--port N] [--state-dir DIR]``. More in README.md.
"""

from __future__ import annotations

from sandbox.emulators.azure.core import TOKEN, RecordedRequest, RequestLog
from sandbox.emulators.azure.credential import StaticTokenCredential
from sandbox.emulators.azure.emulator import AzureEmulator
from sandbox.emulators.azure.estate import DEMO_ESTATE_PATH, load_estate, resolve_time
from sandbox.emulators.azure.faults import FaultInjector
from sandbox.emulators.azure.wire import ApiError

__all__ = [
    "DEMO_ESTATE_PATH",
    "TOKEN",
    "ApiError",
    "AzureEmulator",
    "FaultInjector",
    "RecordedRequest",
    "RequestLog",
    "StaticTokenCredential",
    "load_estate",
    "resolve_time",
]
