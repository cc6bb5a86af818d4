"""Processes that start like replicas of the bot, all at once, for the migration races.

Children come from a fork server that has already imported this module (keep the steps here: a step
defined in a test module would make every child import the test suite), so starting one costs a fork,
not an interpreter start; each opens its own engine and connections, as a replica does.
"""

from __future__ import annotations

import functools
import multiprocessing
import traceback
from collections.abc import Callable
from multiprocessing.context import ForkServerContext
from typing import Any

from sqlalchemy import Engine

from bot.adapters.db.engine import make_engine
from bot.adapters.prompts import upgrade_prompts_db
from bot.bootstrap.database import prepare_database


@functools.cache
def context() -> ForkServerContext:
    """The fork-server context, its server preloaded with the bot."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.harness.replicas"])
    return ctx


def serve_start(engine: Engine) -> bool:
    """What each replica's `serve` does with its database at start; True when this one ran the migration."""
    return prepare_database(engine, migrate_db=True).ran


def prompts_init(engine: Engine) -> bool:
    """`rollback-bot prompts init` on ``system_prompts``; True when this one installed the guards."""
    return upgrade_prompts_db(engine, "system_prompts").ran


def _child(step: Callable[[Any], object], url: str, barrier: Any, results: Any) -> None:
    try:
        engine = make_engine(url)
        barrier.wait(timeout=60)
        results.put(("ok", step(engine)))
        engine.dispose()
    except BaseException as exc:  # reported to the test, which fails with it
        results.put(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


def start_at_once(step: Callable[[Any], object], url: str, count: int, *, timeout: float = 90.0) -> list[object]:
    """Run ``step(engine)`` in ``count`` processes released together; return their results (raise on any error)."""
    ctx = context()
    barrier, results = ctx.Barrier(count), ctx.Queue()
    procs = [ctx.Process(target=_child, args=(step, url, barrier, results)) for _ in range(count)]
    for p in procs:
        p.start()
    out = [results.get(timeout=timeout) for _ in procs]
    for p in procs:
        p.join(timeout=timeout)
    errors = [detail for status, detail in out if status == "error"]
    assert not errors, errors[0]
    return [detail for _, detail in out]
