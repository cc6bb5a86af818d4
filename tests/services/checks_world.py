"""Real adapters over HTTPS to the Azure emulator, the built-in kinds bound to them, a real health probe.

world = ChecksWorld()
emu = world.emulator(base_estate())
ctx = world.context(emu, openai=True, prompts_url=db_url)
world.close()
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from bot.adapters.db.engine import make_engine
from bot.adapters.http_health import RequestsHealthProbe
from bot.adapters.prompts import SqlPromptStore, upgrade_prompts_db
from bot.bootstrap.environments import Environments
from bot.domain.catalog import ChecklistPolicy
from bot.domain.kinds import CODE
from bot.domain.readiness import DrillRecord
from bot.domain.rollback_requests import ServiceEnv
from bot.kinds import KindServices
from bot.kinds.builtin import BUILTIN
from bot.ports.telemetry import TelemetryQuery
from bot.services.checks import ChecklistContext
from sandbox.demo import create_app_prompts_table
from sandbox.emulators.azure import AzureEmulator

SUB = "00000000-0000-0000-0000-000000000001"
RG = "pharmabot-rg"
APP = "pharmabot-prod"
ACCOUNT = "pharmabot-openai"
SERVER = "pharmabot-db"
TARGET = ServiceEnv("pharmabot", "prod")
TABLE = "system_prompts"


def base_estate() -> dict[str, Any]:
    """Everything rollback-ready: v1 healthy behind v2; gpt-4o 2024-05-13 behind 2024-08-06; drugs-v1 behind
    drugs-v2; a Ready server with daily backups (newest 3 h old) and a 7-day restore window."""
    return copy.deepcopy(
        {
            "subscription": SUB,
            "resource_group": RG,
            "location": "eastus",
            "container_apps": [
                {
                    "name": APP,
                    "revisions_mode": "Multiple",
                    "revisions": [
                        {
                            "name": "v1",
                            "image": "acr.io/pharmabot:1.4.2",
                            "created": "-3h",
                            "healthy": True,
                            "active": True,
                            "traffic": 0,
                        },
                        {
                            "name": "v2",
                            "image": "acr.io/pharmabot:1.5.0",
                            "created": "-40m",
                            "healthy": True,
                            "active": True,
                            "traffic": 100,
                        },
                    ],
                }
            ],
            "openai_accounts": [
                {
                    "name": ACCOUNT,
                    "deployments": [
                        {
                            "name": "gpt4o-stable",
                            "model": "gpt-4o",
                            "version": "2024-08-06",
                            "since": "-2h",
                            "history": [{"version": "2024-05-13", "since": "-60d"}],
                            "sku": "Standard",
                            "capacity": 10,
                        }
                    ],
                    "models": [
                        {"name": "gpt-4o", "version": "2024-08-06", "default": True, "retires": "+300d"},
                        {"name": "gpt-4o", "version": "2024-05-13", "retires": "+120d"},
                        {"name": "gpt-4o", "version": "2024-02-15", "lifecycle": "Deprecated", "retires": "-30d"},
                    ],
                }
            ],
            "postgres_servers": [
                {
                    "name": SERVER,
                    "version": "16",
                    "retention_days": 7,
                    "earliest_restore": "-7d",
                    "backups": {"daily": 7, "newest": "-3h"},
                }
            ],
            "search": {"indexes": {"drugs-v1": 12000, "drugs-v2": 12450}, "aliases": {"drugs": "drugs-v2"}},
        }
    )


def previous_revision(estate: dict[str, Any]) -> dict[str, Any]:
    """The estate's v1 revision (the rollback target), to edit."""
    revision: dict[str, Any] = estate["container_apps"][0]["revisions"][0]
    return revision


def previous_model(estate: dict[str, Any]) -> dict[str, Any]:
    """The estate's gpt-4o 2024-05-13 catalog entry (the model rollback target), to edit."""
    model: dict[str, Any] = estate["openai_accounts"][0]["models"][1]
    return model


def passing_drill(age: timedelta, *, ttr: float = 42.0, verified: bool = True) -> DrillRecord:
    """A drill of the code kind that started ``age`` ago."""
    return DrillRecord(
        target=TARGET,
        kind=CODE,
        actor="U0ALICE",
        started_at=datetime.now(UTC) - age,
        phases={"command_issued": 1.0, "pointer_moved": 3.5, "verified": ttr, "rolled_forward": ttr + 2.0},
        verified=verified,
        request_id=7,
    )


class ChecksWorld:
    """Starts emulators and opens engines; ``close()`` stops and disposes them all."""

    def __init__(self) -> None:
        self._emulators: list[AzureEmulator] = []
        self._engines: list[Engine] = []
        self._environments: list[Environments] = []

    def emulator(self, estate: dict[str, Any]) -> AzureEmulator:
        """A fresh emulator with ``estate`` on its own port."""
        emu = AzureEmulator(estate=estate).start()
        self._emulators.append(emu)
        return emu

    def engine(self, url: str) -> Engine:
        """An engine disposed at ``close()``."""
        engine = make_engine(url)
        self._engines.append(engine)
        return engine

    def seed_prompts(self, url: str, versions: int = 2) -> SqlPromptStore:
        """``drug_info`` v1..vN; v(N-1) then vN activated, so v(N-1) is the previous known-good (none for N=1)."""
        engine = self.engine(url)
        create_app_prompts_table(engine, TABLE)
        upgrade_prompts_db(engine, TABLE)
        store = SqlPromptStore(engine, TABLE)
        for n in range(1, versions + 1):
            store.add("drug_info", f"You answer drug questions. Style {n}.", actor="seed")
        for n in range(max(1, versions - 1), versions + 1):
            store.activate("drug_info", n, actor="seed", reason="deploy")
        return store

    def context(
        self,
        emu: AzureEmulator,
        *,
        app: bool = True,
        openai: bool = False,
        search: bool = False,
        postgres: bool = False,
        prompts_url: str | None = None,
        health_url: str | None = None,
        openai_location: str | None = None,
        telemetry: TelemetryQuery | None = None,
        last_passing_drill: DrillRecord | None = None,
        policy: ChecklistPolicy | None = None,
    ) -> ChecklistContext:
        """A checklist context for prod of pharmabot on ``emu``: real adapters bound by the built-in kinds."""
        env: dict[str, Any] = {"name": "prod"}
        if app:
            url = health_url or emu.url + "/_apps/{app}/{revision}{path}"
            env["container_app"] = {"subscription_id": SUB, "resource_group": RG, "name": APP, "health_url": url}
        if openai:
            env["openai"] = {"subscription_id": SUB, "resource_group": RG, "account": ACCOUNT}
            env["openai"] |= {"deployments": ["gpt4o-stable"], "location": openai_location}
        if search:
            env["search"] = {"endpoint": emu.url, "alias": "drugs"}
        if postgres:
            env["postgres"] = {"subscription_id": SUB, "resource_group": RG, "server": SERVER}
        if prompts_url:
            engine = self.engine(prompts_url)
            create_app_prompts_table(engine, TABLE)
            upgrade_prompts_db(engine, TABLE)
            env["prompts"] = {"database_url": prompts_url, "table": TABLE}
        config = BUILTIN.schema.model_validate(
            {
                "azure": {"arm_endpoint": emu.url, "ca_bundle": emu.ca_path, "credential": "emulator"},
                "services": [{"name": TARGET.service, "environments": [env]}],
            }
        )
        probe = RequestsHealthProbe(ca_bundle=emu.ca_path, timeout=5.0)
        environments = Environments(
            config,
            BUILTIN,
            services=KindServices(clock=lambda: datetime.now(UTC), probe=probe),
            clock=lambda: datetime.now(UTC),
            azure_client_kwargs={"polling_interval": 0, "retry_total": 0},
        )
        self._environments.append(environments)
        bound = environments(TARGET)
        if telemetry is not None:
            bound = replace(bound, telemetry=telemetry)
        return ChecklistContext(
            target=TARGET,
            now=datetime.now(UTC),
            env=bound,
            kinds=BUILTIN.kinds,
            policy=policy or ChecklistPolicy(),
            last_passing_drill=last_passing_drill,
        )

    def close(self) -> None:
        """Stop every emulator and dispose every engine."""
        for emu in self._emulators:
            emu.stop()
        for environments in self._environments:
            environments.close()
        for engine in self._engines:
            engine.dispose()
