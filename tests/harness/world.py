"""A whole world for end-to-end tests: Slack fake, Azure emulator, prompts DB and the real bot over HTTP.

    world = World.start(db_url, tmp_path)
    world.slash("U0ALICE", "")                       # types /rollback in #inc-pharmabot
    world.submit("U0ALICE", {...})                   # submits the open modal
    world.click("U0BOB", card_ts, SlackId.approve, value)

The driver does what the Slack client does: posts signed requests to the bot, applies the bot's
view responses to the fake, and reads what the fake shows.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import yaml
from sqlalchemy import Engine, text

from bot.adapters.db.engine import make_engine
from bot.adapters.prompts.migrate import upgrade_prompts_db
from bot.adapters.prompts.store import SqlPromptStore
from bot.bootstrap import Runtime, build_runtime
from bot.config import Settings, load_settings
from bot.domain.leases import LeasePolicy
from bot.kinds.builtin import BUILTIN
from bot.kinds.edge import KindRegistry
from bot.server import start_in_thread, stop_server
from sandbox.demo import create_app_prompts_table
from sandbox.emulators.azure import DEMO_ESTATE_PATH, AzureEmulator
from sandbox.emulators.slack import SlackFake, SlackUser
from sandbox.emulators.slack.requests import SlackRequestFactory

SECRET = "test-signing-secret"
SUB = "00000000-0000-0000-0000-000000000001"
RG = "pharmabot-rg"
CHANNEL = "C0INCIDENT"
DEPLOYS = "C0DEPLOYS"
# The CLI and `serve` in a child process build the product's Azure clients, which wait 5 s between polls of a
# long-running operation unless Azure says when to poll again; tests that run them have the emulator say this.
PROCESS_POLL_MS = 20

ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"
APPROVERS = "S0APPROVERS"


class ShiftableClock:
    """Real time plus an offset tests can move forward (expiry without sleeping)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **kwargs: float) -> None:
        self.offset += timedelta(**kwargs)


def world_config(
    emu: AzureEmulator, prompts_url: str, *, ttl: int = 15, extra_env: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The configuration of the demo service against the emulator: prod (everything) and staging (code)."""
    health_url = emu.url + "/_apps/{app}/{revision}{path}"
    prod: dict[str, Any] = {
        "name": "prod",
        "incident_channels": [CHANNEL],
        "approvers": {"usergroup": APPROVERS},
        "approval_ttl_minutes": ttl,
        "container_app": {
            "subscription_id": SUB,
            "resource_group": RG,
            "name": "pharmabot-prod",
            "health_url": health_url,
        },
        "prompts": {"database_url": prompts_url, "table": "system_prompts"},
        "openai": {
            "subscription_id": SUB,
            "resource_group": RG,
            "account": "pharmabot-openai",
            "deployments": ["gpt4o-stable"],
            "location": "eastus",
        },
        "search": {"endpoint": emu.url, "alias": "drugs", "api_key": "${WORLD_SEARCH_KEY}"},
        "postgres": {"subscription_id": SUB, "resource_group": RG, "server": "pharmabot-db"},
        "telemetry": {"database_url": prompts_url},
        "checklist": {"channel": DEPLOYS, "schedule": "0 8 * * 1-5", "backup_max_age_hours": 24},
        **(extra_env or {}),
    }
    staging: dict[str, Any] = {
        "name": "staging",
        "incident_channels": [CHANNEL],
        "approvers": {"usergroup": APPROVERS},
        "container_app": {
            "subscription_id": SUB,
            "resource_group": RG,
            "name": "pharmabot-staging",
            "health_url": health_url,
        },
        "checklist": {"channel": DEPLOYS},
    }
    return {
        "azure": {"arm_endpoint": emu.url, "ca_bundle": emu.ca_path, "credential": "emulator"},
        "services": [{"name": "pharmabot", "environments": [prod, staging]}],
    }


def seed_llm_calls(url: str, *, with_version: int = 20, without_version: int = 0) -> None:
    """The app's LLM call log (checklist item 3): recent calls, with and without a prompt version."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS llm_calls (id INTEGER PRIMARY KEY, created_at TIMESTAMP WITH TIME ZONE,"
                " prompt_name TEXT, prompt_version INTEGER)"
            )
        )
        rows = [{"t": now - timedelta(minutes=i), "v": 4} for i in range(with_version)]
        rows += [{"t": now - timedelta(minutes=i), "v": None} for i in range(without_version)]
        for i, row in enumerate(rows):
            conn.execute(
                text(
                    "INSERT INTO llm_calls (id, created_at, prompt_name, prompt_version) "
                    "VALUES (:id, :t, 'drug_info', :v)"
                ),
                {"id": 1000 + i, **row},
            )
    engine.dispose()


def seed_prompts(engine: Engine) -> SqlPromptStore:
    """drug_info v1-v4, v4 active (activated after v3, so v3 is the previous known-good)."""
    create_app_prompts_table(engine)
    upgrade_prompts_db(engine, "system_prompts")
    store = SqlPromptStore(engine, "system_prompts")
    for n in range(1, 5):
        store.add("drug_info", f"You answer drug questions. Style {n}.", actor="seed")
    store.activate("drug_info", 3, actor="seed", reason="initial")
    store.activate("drug_info", 4, actor="U0DEPLOYER", reason="deploy 1.5.0")
    return store


@dataclass
class World:
    """Everything running; ``close()`` stops it all."""

    slack: SlackFake
    azure: AzureEmulator
    runtime: Runtime
    url: str
    factory: SlackRequestFactory
    clock: ShiftableClock
    prompts: SqlPromptStore
    prompts_engine: Engine = field(repr=False)  # the seeded prompts database (the app's, not the bot's)
    _server: Any = field(repr=False)
    settings: Settings = field(repr=False)
    config_path: Path = field(repr=False)
    azure_kwargs: dict[str, Any] = field(repr=False)
    registry: KindRegistry = field(repr=False, default=BUILTIN)
    leases: LeasePolicy = field(repr=False, default_factory=LeasePolicy)

    @classmethod
    def start(
        cls,
        db_url: str,
        tmp_path: Path,
        *,
        ttl: int = 15,
        azure_kwargs: dict[str, Any] | None = None,
        extra_env: dict[str, Any] | None = None,
        registry: KindRegistry = BUILTIN,
        config: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        leases: LeasePolicy | None = None,
        app_db_url: str | None = None,
        poll_after_ms: int | None = None,
    ) -> World:
        """Start the fakes, seed them, build the real runtime and serve it over HTTP on a free port.

        The application's prompts and LLM call log live in the bot's database unless ``app_db_url`` names another.
        ``poll_after_ms`` (e.g. :data:`PROCESS_POLL_MS`): the emulator's long-running operations ask clients to
        poll again after that long, for tests that run the CLI or a child process.
        """
        slack = SlackFake().start()
        for uid, name in ((ALICE, "alice"), (BOB, "bob"), (CAROL, "carol")):
            slack.add_user(SlackUser(id=uid, name=name, real_name=name.title()))
        slack.add_usergroup(APPROVERS, handle="sre-approvers", users=[BOB])
        slack.add_channel(CHANNEL, name="inc-pharmabot")
        slack.add_channel(DEPLOYS, name="deploys")
        azure = AzureEmulator(estate=DEMO_ESTATE_PATH).start()
        azure.poll_after(poll_after_ms)
        app_db_url = app_db_url or db_url
        prompts_engine = make_engine(app_db_url)
        prompts = seed_prompts(prompts_engine)
        seed_llm_calls(app_db_url)
        cfg_path = tmp_path / "rollback-bot.yaml"
        data = world_config(azure, app_db_url, ttl=ttl, extra_env=extra_env)
        cfg_path.write_text(yaml.safe_dump(config(data) if config else data))
        os.environ.setdefault("WORLD_SEARCH_KEY", azure.token)
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": slack.bot_token,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": slack.api_url,
                "DATABASE_URL": db_url,
                "ROLLBACK_BOT_CONFIG": str(cfg_path),
            }
        )
        clock = ShiftableClock()
        kwargs = {"polling_interval": 0, "lro_timeout": 5.0, "retry_backoff_factor": 0.01, **(azure_kwargs or {})}
        runtime = build_runtime(
            settings,
            registry.load_config(cfg_path),
            clock=clock,
            azure_client_kwargs=kwargs,
            registry=registry,
            leases=leases,
        )
        server, url = start_in_thread(runtime)
        factory = SlackRequestFactory(SECRET, fake=slack)
        return cls(
            slack,
            azure,
            runtime,
            url,
            factory,
            clock,
            prompts,
            prompts_engine,
            server,
            settings,
            cfg_path,
            kwargs,
            registry,
            leases or runtime.deps.leases,
        )

    def replica(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        config: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> Runtime:
        """Another instance of the bot on the same database and fakes (a second replica, or a restart); by default
        with the same clock and configuration, or its own (a skewed clock; a changed file)."""
        path = self.config_path
        if config is not None:
            path = self.config_path.with_name(f"replica-{uuid.uuid4().hex[:8]}.yaml")
            path.write_text(yaml.safe_dump(config(yaml.safe_load(self.config_path.read_text()))))
        return build_runtime(
            self.settings,
            self.registry.load_config(path),
            clock=clock or self.clock,
            azure_client_kwargs=self.azure_kwargs,
            registry=self.registry,
            leases=self.leases,
        )

    def close(self) -> None:
        """Stop everything."""
        stop_server(self._server)
        self.runtime.close()
        self.prompts_engine.dispose()
        self.azure.stop()
        self.slack.stop()

    # --- acting like the Slack client ----------------------------------------------------------

    def slash(self, user: str, text: str, channel: str = CHANNEL) -> requests.Response:
        """Type `/rollback TEXT`."""
        return self.factory.slash_command(user, channel, text).post(self.url)

    def open_view(self, user: str) -> dict[str, Any]:
        """The modal currently open for ``user`` (the top of their stack)."""
        views = [v for v in self.slack.views().values() if v.get("user_id", user) == user]
        if not views:
            raise AssertionError("no modal is open")
        return views[-1]

    def wait_view(self, callback_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Wait until the open modal shows the step ``callback_id``."""
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            for view in self.slack.views().values():
                last = view
                if view.get("callback_id") == callback_id:
                    return view
            time.sleep(0.02)
        raise AssertionError(f"modal never showed {callback_id}; last: {last.get('callback_id')} {last.get('blocks')}")

    def submit(
        self, user: str, view: dict[str, Any], values: dict[str, dict[str, dict[str, Any]]]
    ) -> requests.Response:
        """Submit ``view`` with ``values``; apply the bot's response to the modal as Slack does.

        Slack applies the HTTP response before any views.update the app makes after acking; here the
        bot's worker thread may call views.update before this thread reads the response, so a response
        that a later update has already superseded is not applied.
        """
        before = self.slack.views().get(view["id"], {}).get("hash")
        response = self.factory.view_submission(user, view, values).post(self.url)
        if self.slack.views().get(view["id"], {}).get("hash") == before:
            self.slack.apply_view_response(view["id"], response.text or None)
        return response

    def pick(self, user: str, view: dict[str, Any], action_id: str, value: str, block_id: str) -> requests.Response:
        """Choose an option in a dispatch_action select of the open modal."""
        option = {"text": {"type": "plain_text", "text": value}, "value": value}
        return self.factory.block_action_view(user, view, action_id, selected_option=option, block_id=block_id).post(
            self.url
        )

    def click(
        self, user: str, message_ts: str, action_id: str, value: str, channel: str = CHANNEL
    ) -> requests.Response:
        """Click a button on a message."""
        return self.factory.block_action_message(user, channel, message_ts, action_id, value).post(self.url)

    def card(self) -> dict[str, Any]:
        """The latest top-level bot message in the incident channel (the request card)."""
        messages = self.slack.messages(CHANNEL)
        if not messages:
            raise AssertionError("no message in the incident channel")
        return messages[-1]

    def wait(self, predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
        """Poll until ``predicate`` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}")

    def age(self, request_id: int, *, minutes: float) -> None:
        """Move a request ``minutes`` into the past on the database's clock (which decides expiry)."""
        with self.runtime.engine.begin() as conn:
            row = conn.execute(
                text("SELECT created_at, expires_at FROM rollback_requests WHERE id = :id"), {"id": request_id}
            ).one()
        aged = {
            "id": request_id,
            "c": _stored_time(row.created_at) - timedelta(minutes=minutes),
            "e": _stored_time(row.expires_at) - timedelta(minutes=minutes),
        }
        with self.runtime.engine.begin() as conn:
            conn.execute(text("UPDATE rollback_requests SET created_at = :c, expires_at = :e WHERE id = :id"), aged)

    def traffic(self, app: str = "pharmabot-prod") -> dict[str, int]:
        """Live traffic weights in the emulator."""
        return self.azure.traffic(SUB, RG, app)


def started_world(db_url: str, tmp_path_factory: Any, **options: Any) -> Iterator[World]:
    """A world for a fixture (``yield from``), started with ``World.start``'s ``options``; closed afterwards."""
    w = World.start(db_url, tmp_path_factory.mktemp("world"), **options)
    try:
        yield w
    finally:
        w.close()


def _stored_time(value: datetime | str) -> datetime:
    """A timestamp read with plain SQL: SQLite gives its text, PostgreSQL a datetime."""
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
