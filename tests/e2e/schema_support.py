"""A world whose prod environment runs schema rollbacks: the app's migration table, the migration job, a cut-over."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, text

from bot.adapters.db.engine import make_engine
from bot.domain.kinds import SCHEMA
from bot.domain.releases import ReleaseStatus
from bot.domain.rollback_requests import RequestStatus, RollbackRequest, ServiceEnv
from bot.domain.tree import FlowState
from bot.services import rollbacks
from bot.services.releases import mark_release, record_release
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.harness.world import ALICE, BOB, CHANNEL, RG, SUB, World, started_world

TARGET = ServiceEnv("pharmabot", "prod")
TABLE = "app_version"
JOB = "pharmabot-migrate"
SOURCE_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.DBforPostgreSQL/flexibleServers/pharmabot-db"


def schema_config(app_url: str) -> Any:
    def change(data: dict[str, Any]) -> dict[str, Any]:
        prod = data["services"][0]["environments"][0]
        prod["postgres"] = {
            **prod["postgres"],
            "migrations": {"database_url": app_url, "version_table": TABLE},
            "migration_job": {
                "name": JOB,
                "container": "migrate",
                "down_command": ["alembic", "downgrade", "{target}"],
            },
            "cutover": {"container": "pharmabot-prod", "env_var": "DATABASE_HOST"},
            "restore_poll_seconds": 0.05,
            "progress_minutes": 0.01,
        }
        prod["deploy"] = {"health_attempts": 3, "health_interval_seconds": 0.05, "ready_timeout_seconds": 15}
        return data

    return change


def set_head(engine: Engine, head: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS {TABLE} (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text(f"DELETE FROM {TABLE}"))
        conn.execute(text(f"INSERT INTO {TABLE} (version_num) VALUES (:v)"), {"v": head})


def head_of(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text(f"SELECT version_num FROM {TABLE}")).scalar_one())


def schema_world(db_url: str, tmp_path_factory: Any) -> Iterator[World]:
    """The world with releases: #1 good at head a1, #2 (the bad deploy) at head b2, which is live. The migration
    job, when it runs `alembic downgrade X`, sets the head to X."""
    engine = make_engine(db_url)
    set_head(engine, "a1")
    try:
        for world in started_world(db_url, tmp_path_factory, config=schema_config(db_url)):
            deps = world.runtime.deps
            good = record_release(deps, TARGET, source="cli", actor="cli:alice", note="deploy 1.4.2")
            mark_release(deps, TARGET, good.id, ReleaseStatus.good, actor="cli:alice")
            set_head(engine, "b2")
            record_release(deps, TARGET, source="cli", actor="cli:alice", note="deploy 1.5.0")

            def run(job: str, command: list[str]) -> str | None:
                if command[:2] != ["alembic", "downgrade"]:
                    return f"unexpected command {command}"
                set_head(engine, command[2])
                return None

            world.azure.on_job(JOB, run)
            yield world
    finally:
        engine.dispose()


def open_schema(world: World, choice: str | None = None, *, requester: str = ALICE) -> RollbackRequest:
    state = FlowState(CHANNEL, "pharmabot", "prod", True, SCHEMA, choice)
    return rollbacks.open_request(world.runtime.deps, state=state, reason="bad migration", requester_id=requester)


def approve(world: World, request: RollbackRequest, *, approver: str = BOB, url: str | None = None) -> None:
    click = world.factory.block_action_message(
        approver, CHANNEL, request.message_ts or "", SlackId.approve.value, encode_request_ref(request.id)
    )
    assert click.post(url or world.url).status_code == 200


def finished(world: World, request_id: int, timeout: float = 30) -> RollbackRequest:
    deps = world.runtime.deps
    ends = (RequestStatus.succeeded, RequestStatus.failed)
    world.wait(lambda: deps.requests.get(request_id).status in ends, what="the request finishes", timeout=timeout)
    return deps.requests.get(request_id)


def thread_text(world: World, request: RollbackRequest) -> str:
    messages = world.slack.thread(CHANNEL, request.message_ts or "")
    return "\n".join(str(m.get("text", "")) + str(m.get("blocks", "")) for m in messages)


def writes_to_the_original_server(world: World) -> list[str]:
    """Every DELETE, PUT or PATCH whose path is the original server (or below it)."""
    return [
        f"{r.method} {r.path}"
        for r in world.azure.requests.snapshot()
        if r.method in ("DELETE", "PUT", "PATCH")
        and (r.path.lower() == SOURCE_ID.lower() or r.path.lower().startswith(SOURCE_ID.lower() + "/"))
    ]


def wait_thread(world: World, request: RollbackRequest, *needles: str, timeout: float = 15) -> str:
    """The thread once it holds every one of ``needles`` (Slack posts are queued, off the critical path)."""
    world.wait(
        lambda: all(n in thread_text(world, request) for n in needles), what=f"{needles} in the thread", timeout=timeout
    )
    return thread_text(world, request)
