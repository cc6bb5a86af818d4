"""Real adapters over HTTPS to the Azure emulator, real executors and a real health probe, for the checks tests.

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

from bot.adapters.azure.factory import build_environment_ports
from bot.adapters.db.engine import make_engine
from bot.adapters.http_health import RequestsHealthProbe
from bot.adapters.prompts import SqlPromptStore, upgrade_prompts_db
from bot.config import (
    AzureConfig,
    ContainerAppConfig,
    EnvironmentConfig,
    OpenAIConfig,
    PostgresConfig,
    SearchConfig,
)
from bot.domain.checklist import DrillRecord
from bot.domain.kinds import CODE, PROMPT, KindName
from bot.domain.model import ServiceEnv
from bot.executors.base import Executor
from bot.executors.code import TrafficShiftExecutor
from bot.executors.prompt import PromptActivationExecutor
from bot.services.checks import CheckContext
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
        phases={"command_issued": 1.0, "pointer_moved": 3.5, "verified": ttr},
        verified=verified,
        request_id=7,
    )


class ChecksWorld:
    """Starts emulators and opens engines; ``close()`` stops and disposes them all."""

    def __init__(self) -> None:
        self._emulators: list[AzureEmulator] = []
        self._engines: list[Engine] = []

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
        **fields: Any,
    ) -> CheckContext:
        """A check context for prod of pharmabot on ``emu``; ``fields`` override ``CheckContext`` fields."""
        env = EnvironmentConfig(
            name="prod",
            container_app=ContainerAppConfig(
                subscription_id=SUB,
                resource_group=RG,
                name=APP,
                health_url=health_url or emu.url + "/_apps/{app}/{revision}{path}",
            )
            if app
            else None,
            openai=OpenAIConfig(subscription_id=SUB, resource_group=RG, account=ACCOUNT, deployments=("gpt4o-stable",))
            if openai
            else None,
            search=SearchConfig(endpoint=emu.url, alias="drugs") if search else None,
            postgres=PostgresConfig(subscription_id=SUB, resource_group=RG, server=SERVER) if postgres else None,
        )
        azure = AzureConfig(arm_endpoint=emu.url, ca_bundle=emu.ca_path, credential="emulator")
        ports = build_environment_ports(azure, env, polling_interval=0, retry_total=0)
        probe = RequestsHealthProbe(ca_bundle=emu.ca_path, timeout=5.0)
        executors: dict[KindName, Executor] = {}
        if ports.container_apps and ports.container_app_ref and env.container_app:
            executors[CODE] = TrafficShiftExecutor(
                api=ports.container_apps,
                ref=ports.container_app_ref,
                probe=probe,
                health_path=env.container_app.health_path,
                health_url=env.container_app.health_url,
            )
        if prompts_url:
            engine = self.engine(prompts_url)
            create_app_prompts_table(engine, TABLE)
            upgrade_prompts_db(engine, TABLE)
            executors[PROMPT] = PromptActivationExecutor(store=SqlPromptStore(engine, TABLE))
        ctx = CheckContext(
            target=TARGET,
            now=datetime.now(UTC),
            executors=executors,
            azure=ports,
            probe=probe,
            telemetry=None,
            telemetry_window=timedelta(hours=24),
            last_passing_drill=None,
            drill_max_age=timedelta(days=30),
            backup_max_age=timedelta(hours=24),
        )
        return replace(ctx, **fields)

    def close(self) -> None:
        """Stop every emulator and dispose every engine."""
        for emu in self._emulators:
            emu.stop()
        for engine in self._engines:
            engine.dispose()
