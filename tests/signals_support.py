"""Shared pieces for the LLM-signal tests: a Log Analytics workspace in an estate, and the bot's adapter on it."""

from __future__ import annotations

import copy
from typing import Any

from bot.adapters.azure.clients import AzureClients
from bot.adapters.telemetry import LogAnalyticsTelemetry
from bot.config import AzureConfig
from bot.domain.signals import SignalQuery
from sandbox.demo import TELEMETRY_QUERIES
from sandbox.emulators.azure import AzureEmulator
from sandbox.emulators.azure.estate import read_spec

WORKSPACE = "6f4c2a9e-1b7d-4c3e-9a8f-0d1e2f3a4b5c"
QUERIES = {SignalQuery(name): text for name, text in TELEMETRY_QUERIES.items()}


def workspace_spec(**overrides: Any) -> dict[str, Any]:
    """pharmabot-prod's workspace: 60 calls a minute; v2 (the latest, 100 %) fails 20 % of calls, v1 1 %;
    prompt drug_info v4 (active 25 min) fails 10 %, v3 none."""
    spec: dict[str, Any] = {
        "id": WORKSPACE,
        "container_app": "pharmabot-prod",
        "openai": {"account": "pharmabot-openai", "deployments": ["gpt4o-stable"]},
        "calls_per_minute": 60,
        "revisions": {"v1": {"error_rate": 0.01, "p95_ms": 850}, "v2": {"error_rate": 0.2, "p95_ms": 2400}},
        "prompts": {
            "drug_info": {
                "history": [{"version": 3, "since": "-5d"}, {"version": 4, "since": "-25m"}],
                "versions": {"3": {"error_rate": 0.0}, "4": {"error_rate": 0.1}},
            }
        },
    }
    spec.update(overrides)
    return spec


def estate_with_workspace(**overrides: Any) -> dict[str, Any]:
    """The demo estate with only ``workspace_spec(**overrides)`` as its workspace."""
    estate = copy.deepcopy(read_spec(None))
    estate["log_analytics_workspaces"] = [workspace_spec(**overrides)]
    return estate


def log_analytics(
    emu: AzureEmulator, queries: dict[SignalQuery, str] | None = None, **client_kwargs: Any
) -> LogAnalyticsTelemetry:
    """The bot's Log Analytics adapter on the emulator's workspace (real LogsQueryClient over HTTPS)."""
    clients = AzureClients(
        AzureConfig(arm_endpoint=emu.url, ca_bundle=emu.ca_path, credential="emulator"),
        **{"retry_total": 0, **client_kwargs},
    )
    return LogAnalyticsTelemetry(clients.logs_query(emu.url), WORKSPACE, QUERIES if queries is None else queries)
