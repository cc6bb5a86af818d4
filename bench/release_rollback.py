"""A release rollback's wall time against its layers one after another, with every Azure and database call slowed.

    .venv/bin/python bench/release_rollback.py [--runs 3] [--latency 0.2]

Setup: ``tests.harness.world.World`` (the Azure emulator through the real SDK clients, the real bot on a SQLite
database in a temp dir, the application's prompts table in a database of its own, as in production).
``--latency`` seconds are added to every Azure call (the emulator's latency fault: ARM and AI Search) and to
every database statement (a SQLAlchemy ``before_cursor_execute`` hook on every engine: the bot's own records
and the prompt registry).

Each run, from the same bad state (v2 at 100 %, drug_info v4, gpt-4o 2024-08-06, alias drugs-v2) restored
without latency:

1. one release rollback back to the good release (v1, drug_info v3, gpt-4o 2024-05-13, drugs-v1);
2. the four layers one after another, each as its own rollback request: code, prompt, model, embedding.

Each request is opened and approved without latency, then executed on this thread
(``bot.services.execution.execute_request``); the time compared is the execution's own (the seconds the card
shows: from the first step to the last check, every step written to the audit log as it finishes).

The claim: release <= 1.3 x (code + the slowest of prompt, model, embedding). Last line: ``release rollback X s
vs code + slowest of prompt/model/embedding Y s (four layers one after another Z s): ratio R`` (medians).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, event  # noqa: E402

from bot.domain.kinds import CODE, EMBEDDING, MODEL, PROMPT, RELEASE, KindName  # noqa: E402
from bot.domain.rollback_requests import RequestStatus  # noqa: E402
from bot.domain.tree import FlowState  # noqa: E402
from bot.services import Deps, rollbacks  # noqa: E402
from bot.services.execution import execute_request  # noqa: E402
from tests.harness.estate import TARGET, good_release, set_layers  # noqa: E402
from tests.harness.world import ALICE, BOB, CHANNEL, World  # noqa: E402

LAYERS = (CODE, PROMPT, MODEL, EMBEDDING)
BOUND = 1.3


class DatabaseLatency:
    """Sleeps before every SQL statement of every engine while ``seconds`` is set."""

    def __init__(self) -> None:
        self.seconds = 0.0
        event.listen(Engine, "before_cursor_execute", self._before)

    def _before(self, *args: Any) -> None:
        if self.seconds:
            time.sleep(self.seconds)


@contextmanager
def slowed(world: World, database: DatabaseLatency, seconds: float) -> Iterator[None]:
    world.azure.faults.latency(seconds)
    database.seconds = seconds
    try:
        yield
    finally:
        database.seconds = 0.0
        world.azure.faults.clear()


def rollback_seconds(world: World, deps: Deps, database: DatabaseLatency, kind: KindName, latency: float) -> float:
    """Open and approve a ``kind`` rollback from the bad state, then time its execution with latency."""
    set_layers(world, good=False)
    state = FlowState(CHANNEL, TARGET.service, TARGET.environment, True, kind)
    request = rollbacks.open_request(deps, state=state, reason=f"bench {kind}", requester_id=ALICE)
    rollbacks.approve(deps, request_id=request.id, user_id=BOB)
    with slowed(world, database, latency):
        done = execute_request(deps, request_id=request.id)
    if done.status is not RequestStatus.succeeded:
        raise SystemExit(f"the {kind} rollback did not succeed: {done.result.get('error')}")
    return float(done.result["seconds"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds added to every Azure and database call")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-release-"))
    database = DatabaseLatency()
    world = World.start(f"sqlite:///{folder / 'bot.db'}", folder, app_db_url=f"sqlite:///{folder / 'app.db'}")
    try:
        deps = replace(world.runtime.deps, run_in_background=lambda job: None)  # executed here, timed
        good_release(world)
        releases, bounds, sequences = [], [], []
        for run in range(1, args.runs + 1):
            release = rollback_seconds(world, deps, database, RELEASE, args.latency)
            layers = {kind: rollback_seconds(world, deps, database, kind, args.latency) for kind in LAYERS}
            bound = layers[CODE] + max(layers[PROMPT], layers[MODEL], layers[EMBEDDING])
            releases.append(release)
            bounds.append(bound)
            sequences.append(sum(layers.values()))
            each = ", ".join(f"{kind} {seconds:.2f} s" for kind, seconds in layers.items())
            print(f"run {run}: release {release:.2f} s; one after another: {each} (sum {sum(layers.values()):.2f} s)")
    finally:
        world.close()
        shutil.rmtree(folder, ignore_errors=True)
    release, bound, sequence = (statistics.median(v) for v in (releases, bounds, sequences))
    ratio = release / bound
    verdict = "holds" if ratio <= BOUND else "FAILS"
    print(f"claim: release <= {BOUND} x (code + slowest of prompt/model/embedding): {verdict}")
    print(
        f"release rollback {release:.2f} s vs code + slowest of prompt/model/embedding {bound:.2f} s "
        f"(four layers one after another {sequence:.2f} s): ratio {ratio:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
