"""The sandbox's demo workspace and estate: people, channel, prompts and the bot configuration.

The Azure side is the emulator's demo estate (``sandbox/emulators/azure/demo_estate.yaml``): service
``pharmabot`` in ``prod`` and ``staging``, each with revision v1 healthy at 0 % and v2 failing at 100 %.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from bot.adapters.db.engine import make_engine
from bot.adapters.prompts import SqlPromptStore, upgrade_prompts_db
from bot.adapters.prompts.schema import PromptTableNames, prompt_tables
from sandbox.emulators.slack import SlackFake, SlackUser

SERVICE = "pharmabot"
ENVIRONMENTS = ("prod", "staging")
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
RESOURCE_GROUP = "pharmabot-rg"
OPENAI_ACCOUNT = "pharmabot-openai"
DEPLOYMENT = "gpt4o-stable"
SEARCH_ALIAS = "drugs"
PROMPT = "drug_info"
PROMPTS_TABLE = "system_prompts"
APP_SCHEMA_TABLE = "app_schema_version"  # the demo application's own migration table (Alembic's shape)
RESTORE_SECONDS = 60  # how long a point-in-time restore takes in the sandbox
DEPLOYER = "U0DEPLOYER"
CHANNEL = "C0INCIDENT"
DEPLOY_STEP_SECONDS = 4  # each canary step of a sandbox deploy holds this long (the Abort button works meanwhile)
CHANNEL_NAME = "inc-pharmabot"
APPROVERS = "S0APPROVERS"
APPROVERS_HANDLE = "sre-approvers"
APPROVAL_TTL_MINUTES = 30
# The Log Analytics workspace (Application Insights) of each environment, in the emulator's demo estate.
WORKSPACES = {"prod": "6f4c2a9e-1b7d-4c3e-9a8f-0d1e2f3a4b5c", "staging": "0b5e8d2a-7c41-4f6e-8a3d-2e9f1c7b4a60"}
# The named queries, as documented (docs/telemetry.md): LLM calls are Azure OpenAI dependencies; the
# application stamps the prompt and the Container Apps revision on each call as custom dimensions.
_LLM_CALLS = 'AppDependencies\n| where Target endswith ".openai.azure.com"\n'
TELEMETRY_QUERIES = {
    "prompt_versions": _LLM_CALLS
    + '| summarize total = count(), with_prompt_version = countif(isnotempty(tostring(Properties["prompt.version"])))',
    "by_revision": _LLM_CALLS
    + '| extend revision = tostring(Properties["container_app.revision"])\n'
    + "| summarize calls = count(), errors = countif(Success == false),\n"
    + "    p95_ms = percentile(DurationMs, 95) by revision",
    "by_prompt_version": _LLM_CALLS
    + '| extend prompt = tostring(Properties["prompt.name"]), version = tostring(Properties["prompt.version"])\n'
    + "| where isnotempty(version)\n"
    + "| summarize calls = count(), errors = countif(Success == false) by prompt, version",
    "by_model": _LLM_CALLS
    + '| extend deployment = tostring(Properties["gen_ai.request.model"]),\n'
    + '    model_version = extract(@"(\\d{4}-\\d{2}-\\d{2})$", 1, tostring(Properties["gen_ai.response.model"]))\n'
    + "| summarize calls = count(), errors = countif(Success == false) by deployment, model_version",
}


@dataclass(frozen=True)
class Person:
    """Someone the page can act as."""

    id: str
    name: str
    real_name: str
    role: str


PEOPLE = (
    Person("U0ALICE", "alice", "Alice Moreau", "responder"),
    Person("U0BOB", "bob", "Bob Okafor", "approver"),
    Person("U0CAROL", "carol", "Carol Lindqvist", "observer"),
)
ALICE, BOB, CAROL = (p.id for p in PEOPLE)


def container_app(environment: str) -> str:
    """The container app that runs ``environment``."""
    return f"{SERVICE}-{environment}"


def migration_job(environment: str) -> str:
    """The demo application's migration job (a Container Apps job) in ``environment``."""
    return "pharmabot-migrate" if environment == "prod" else f"pharmabot-migrate-{environment}"


def postgres_server(environment: str) -> str:
    """The PostgreSQL flexible server of ``environment``."""
    return "pharmabot-db" if environment == "prod" else f"pharmabot-db-{environment}"


def seed_slack(fake: SlackFake) -> None:
    """alice, bob (the approvers group), carol, the deployer and #inc-pharmabot."""
    for person in PEOPLE:
        fake.add_user(SlackUser(id=person.id, name=person.name, real_name=person.real_name))
    fake.add_user(SlackUser(id=DEPLOYER, name="deploy-pipeline", real_name="Deploy Pipeline", is_bot=True))
    fake.add_usergroup(APPROVERS, handle=APPROVERS_HANDLE, users=[BOB])
    fake.add_channel(CHANNEL, name=CHANNEL_NAME)


class _SeedClock:
    """A clock the seeding moves by hand, so the prompt history has realistic times."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.at = now

    def __call__(self) -> datetime:
        return self.at

    def ago(self, **delta: float) -> None:
        self.at = self.now - timedelta(**delta)


PROMPT_TEXTS = (
    "You answer questions about medicines. Cite the leaflet.",
    "You answer questions about medicines. Cite the leaflet; say when to see a pharmacist.",
    "You answer questions about medicines. Cite the leaflet; say when to see a pharmacist. "
    "Always end with the dosage disclaimer.",
    "You answer questions about medicines briefly.",
)


def create_app_prompts_table(engine: Engine, table: str = PROMPTS_TABLE) -> None:
    """What the demo application does: create its prompts table (the bot never creates it), when absent."""
    prompt_tables(PromptTableNames.of(table))[0].create(engine, checkfirst=True)


class PromptRegistry:
    """The prompts table of one environment: the application's table, then `prompts init` on it.

    ``close()`` releases the database.
    """

    def __init__(self, url: str, clock: Callable[[], datetime] | None = None) -> None:
        self._engine = make_engine(url)
        create_app_prompts_table(self._engine)
        upgrade_prompts_db(self._engine, PROMPTS_TABLE)
        self.store = SqlPromptStore(self._engine, PROMPTS_TABLE, clock or (lambda: datetime.now(UTC)))

    def close(self) -> None:
        self._engine.dispose()


def prompt_history(store: SqlPromptStore, name: str = PROMPT) -> Callable[[], dict[str, list[tuple[datetime, str]]]]:
    """What the application reads from its prompt registry, as the Azure emulator's workspaces want it."""

    def read() -> dict[str, list[tuple[datetime, str]]]:
        return {name: [(a.at, str(a.to_version)) for a in reversed(store.history(name, limit=100))]}

    return read


def seed_prompts(url: str, now: datetime | None = None) -> None:
    """drug_info v1-v4: v3 live for days, v4 (the bad one) activated 25 minutes ago; nothing if already seeded."""
    clock = _SeedClock(now or datetime.now(UTC))
    registry = PromptRegistry(url, clock)
    store = registry.store
    try:
        if PROMPT in store.names():
            return
        for days, text in zip((30, 12, 5), PROMPT_TEXTS, strict=False):
            clock.ago(days=days)
            store.add(PROMPT, text, actor=DEPLOYER)
        store.activate(PROMPT, 3, actor=DEPLOYER, reason="deploy 1.4.2")
        clock.ago(hours=1)
        store.add(PROMPT, PROMPT_TEXTS[3], actor=DEPLOYER)
        clock.ago(minutes=25)
        store.activate(PROMPT, 4, actor=DEPLOYER, reason="deploy 1.5.0")
    finally:
        registry.close()


def _environment(name: str, emulator_url: str, prompts_url: str) -> dict[str, Any]:
    app = container_app(name)
    where = {"subscription_id": SUBSCRIPTION, "resource_group": RESOURCE_GROUP}
    return {
        "name": name,
        "incident_channels": [CHANNEL],
        "approvers": {"usergroup": APPROVERS},
        "approval_ttl_minutes": APPROVAL_TTL_MINUTES,
        "container_app": {**where, "name": app, "health_url": emulator_url + "/_apps/{app}/{revision}{path}"},
        "prompts": {"database_url": prompts_url, "table": PROMPTS_TABLE},
        "openai": {**where, "account": OPENAI_ACCOUNT, "deployments": [DEPLOYMENT]},
        "postgres": {
            **where,
            "server": postgres_server(name),
            # The application's own migration head (a release records it; a release rollback lists it).
            "migrations": {"database_url": prompts_url, "version_table": APP_SCHEMA_TABLE},
            # Down-migrations run the application's migration job; a cut-over points the app at a restored server.
            "migration_job": {
                "name": migration_job(name),
                "container": "migrate",
                "down_command": ["alembic", "downgrade", "{target}"],
            },
            "cutover": {"container": app, "env_var": "DATABASE_HOST"},
            # The sandbox's restores take RESTORE_SECONDS: follow them closely and report every 20 s.
            "restore_poll_seconds": 2,
            "progress_minutes": 0.34,
        },
        "search": {"endpoint": emulator_url, "alias": SEARCH_ALIAS},
        "telemetry": {
            "kind": "log_analytics",
            "workspace_id": WORKSPACES[name],
            "endpoint": emulator_url,
            "queries": dict(TELEMETRY_QUERIES),
        },
        # The proof after a rollback: a short watch, so the follow-up arrives while you look (default 10 min).
        "verify": {"window_minutes": 2},
        # The page's Deploy buttons: the progress message in the channel the page shows, steps you can watch.
        "deploy": {
            "channel": CHANNEL,
            "steps": [25, 100],
            "step_seconds": DEPLOY_STEP_SECONDS,
            "health_attempts": 3,
            "health_interval_seconds": 1,
        },
    }


def sandbox_config(emulator_url: str, ca_path: str, prompts_urls: dict[str, str]) -> dict[str, Any]:
    """The bot's configuration file (as a dict) for the demo estate on the emulator at ``emulator_url``."""
    return {
        "azure": {"arm_endpoint": emulator_url, "ca_bundle": ca_path, "credential": "emulator"},
        "services": [
            {
                "name": SERVICE,
                "environments": [_environment(env, emulator_url, prompts_urls[env]) for env in ENVIRONMENTS],
            }
        ],
    }
