"""The demo estate's history: the application's migration head, and two releases of each environment.

Release "deploy 1.4.2" (good, 3 hours ago): revision v1, drug_info v3, gpt-4o 2024-05-13, alias drugs-v1,
migration head 3f9d2a4c8e10. Release "deploy 1.5.0" (40 minutes ago, not marked): what is live when the
sandbox starts — v2, drug_info v4, gpt-4o 2024-08-06, drugs-v2, 5b1e0c2f7a91. The first is built from live
state with the kinds' own item builders (so it reads exactly as a release recorded then would), the second
is live state as the bot reads it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import Column, MetaData, String, Table, delete, insert, select

from bot.adapters.db.engine import make_engine
from bot.domain.kinds import CODE, EMBEDDING, MODEL, PROMPT, SCHEMA
from bot.domain.releases import Layer, LayerItem, NewRelease, ReleaseStatus
from bot.domain.rollback_requests import ServiceEnv
from bot.domain.traffic import TrafficRules
from bot.kinds import BoundEnvironment
from bot.kinds.code import KIND as CODE_KIND
from bot.kinds.code.planning import serving_item
from bot.kinds.embedding.state import AliasTarget
from bot.kinds.layers import read_layers
from bot.kinds.model import KIND as MODEL_KIND
from bot.kinds.model.pinning import deployment_item
from bot.kinds.prompt.state import PromptPointer
from bot.kinds.schema.state import migration_item
from bot.services import Deps
from sandbox import demo

log = logging.getLogger("rollback_sandbox")
OLD_HEAD, HEAD = "3f9d2a4c8e10", "5b1e0c2f7a91"
GOOD_MODEL = "2024-05-13"


def seed_app_schema(url: str) -> None:
    """The demo application's migration table with its head (1.5.0's migration); nothing if already there."""
    engine = make_engine(url)
    try:
        table = Table(demo.APP_SCHEMA_TABLE, MetaData(), Column("version_num", String(32), primary_key=True))
        table.create(engine, checkfirst=True)
        with engine.begin() as conn:
            if conn.execute(select(table.c.version_num)).first() is None:
                conn.execute(insert(table).values(version_num=HEAD))
    finally:
        engine.dispose()


def app_head(url: str) -> str | None:
    """The demo application's migration head now."""
    engine = make_engine(url)
    try:
        table = Table(demo.APP_SCHEMA_TABLE, MetaData(), Column("version_num", String(32), primary_key=True))
        with engine.connect() as conn:
            return conn.execute(select(table.c.version_num)).scalar()
    finally:
        engine.dispose()


def migration_tool(url: str) -> Callable[[str, list[str]], str | None]:
    """What the demo migration job does when an execution runs: ``alembic downgrade X`` moves the head to X."""

    def run(job: str, command: list[str]) -> str | None:
        if command[:2] != ["alembic", "downgrade"] or len(command) != 3:
            return f"the demo migration tool only knows `alembic downgrade HEAD`, not {command}"
        if command[2] not in (OLD_HEAD, HEAD):
            return f"no migration {command[2]}"
        engine = make_engine(url)
        try:
            table = Table(demo.APP_SCHEMA_TABLE, MetaData(), Column("version_num", String(32), primary_key=True))
            with engine.begin() as conn:
                conn.execute(delete(table))
                conn.execute(insert(table).values(version_num=command[2]))
        finally:
            engine.dispose()
        return None

    return run


def seed_releases(deps: Deps) -> None:
    """Two releases per environment, once (a restarted sandbox keeps its history)."""
    for environment in demo.ENVIRONMENTS:
        target = ServiceEnv(demo.SERVICE, environment)
        if deps.releases.latest(target) is not None:
            continue
        env = deps.environment(target)
        live, problems = read_layers(env.kinds)
        if problems:
            log.warning("no release history for %s: %s", target, problems)
            continue
        now = deps.clock()
        good = tuple(Layer(layer.kind, tuple(_before(env, layer.kind, i) for i in layer.items)) for layer in live)
        for when, note, layers, status in (
            (now - timedelta(hours=3), "deploy 1.4.2 (pharmabot:1.4.2)", good, ReleaseStatus.good),
            (now - timedelta(minutes=40), "deploy 1.5.0 (pharmabot:1.5.0)", live, ReleaseStatus.unknown),
        ):
            deps.releases.record(NewRelease(target, when, "deploy", demo.DEPLOYER, note, layers, status))


def _before(env: BoundEnvironment, kind: str, item: LayerItem) -> LayerItem:
    """How ``item`` read at release 1.4.2 (unchanged for what that deploy did not touch)."""
    if kind == CODE:
        handle = env.handle(CODE_KIND)
        app = handle.api.get_app(handle.ref)
        v1, v2 = f"{app.name}--v1", f"{app.name}--v2"
        return serving_item(replace(app, traffic=TrafficRules.named({v1: 100, v2: 0})))
    if kind == PROMPT and item.name == demo.PROMPT:
        return PromptPointer(demo.PROMPT, 3).layer_item()
    if kind == MODEL:
        model = env.handle(MODEL_KIND)
        return deployment_item(model.ref, replace(model.api.get_deployment(model.ref, item.name), version=GOOD_MODEL))
    if kind == EMBEDDING:
        return AliasTarget(item.name, "drugs-v1").layer_item()
    if kind == SCHEMA:
        return migration_item(OLD_HEAD)
    return item
