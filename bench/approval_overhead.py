"""The bot's overhead from the approving click to the traffic PATCH reaching Azure (the emulator), against the
same PATCH issued straight through the SDK, in the same run.

    .venv/bin/python bench/approval_overhead.py [--runs 50] [--warmup 3]

Setup: ``tests.harness.world.World`` (Slack fake, Azure emulator, the real bot served over HTTP; SQLite in a
temp dir). Each run:

1. reset the container app to pharmabot-prod--v2 = 100 % (the emulator's Python API, no HTTP);
2. open a code-rollback request as ALICE with ``bot.services.rollbacks.open_request`` (what submitting the
   modal does, without walking it: only click -> PATCH is measured);
3. sign BOB's Approve click on the card, then time from just before POSTing it to the moment the emulator
   recorded the PATCH of the container app (``RecordedRequest.at``: ``time.time()`` when the emulator had read
   the request, the same clock the click time is taken with, in this same process);
4. wait until the bot has finished the rollback (verify, health check, card and thread updates) so nothing
   from this run overlaps the next.

The floor, measured in the same loop (bot, floor, bot, floor, ...): the same traffic-only PATCH through the
raw SDK (``ContainerAppsAPIClient.container_apps.begin_update`` built by the bot's own ``AzureClients`` with
the same client settings as the bot's), timed from the call to the emulator recording it. The adapter
(``AzureContainerAppsApi.set_traffic``) is timed the same way, for reference.

A median timeline of what the bot does between the click and the PATCH (Slack and Azure calls, from the
fakes' own logs) is printed too.

Last line: ``approve→PATCH overhead median X ms p99 Y ms (raw SDK PATCH median Z ms)`` where X and Y are the
click -> PATCH times of the bot and Z the floor's call -> PATCH time.
"""

from __future__ import annotations

import argparse
import gc
import math
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from azure.mgmt.appcontainers import models as aca_models  # noqa: E402

from bot.adapters.azure.clients import AzureClients  # noqa: E402
from bot.adapters.azure.container_apps import AzureContainerAppsApi  # noqa: E402
from bot.domain.azure import ContainerAppRef  # noqa: E402
from bot.domain.kinds import CODE  # noqa: E402
from bot.domain.rollback_requests import RequestStatus  # noqa: E402
from bot.domain.traffic import TrafficRules  # noqa: E402
from bot.domain.tree import FlowState  # noqa: E402
from bot.kinds.builtin import BUILTIN  # noqa: E402
from bot.services import rollbacks  # noqa: E402
from bot.slack.ids import SlackId  # noqa: E402
from bot.slack.payloads import encode_request_ref  # noqa: E402
from tests.harness.world import ALICE, BOB, CHANNEL, RG, SUB, World  # noqa: E402

APP = "pharmabot-prod"
V1, V2 = f"{APP}--v1", f"{APP}--v2"
SERVICE, ENV = "pharmabot", "prod"
TIME_BUDGET_S = 75.0  # stop starting runs after this (the bench must finish in < 90 s)
WAIT_S = 10.0
TERMINAL = {RequestStatus.succeeded, RequestStatus.failed, RequestStatus.cancelled, RequestStatus.expired}


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered)))) - 1]


def wait_until(predicate: Callable[[], Any], what: str, timeout: float = WAIT_S, interval: float = 0.001) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise SystemExit(f"timed out after {timeout} s waiting for {what}")


class Bench:
    def __init__(self, world: World, cfg_path: Path, client_kwargs: dict[str, Any]) -> None:
        self.world = world
        self.emu = world.azure
        self.ref = ContainerAppRef(SUB, RG, APP)
        clients = AzureClients(BUILTIN.load_config(cfg_path).azure, **client_kwargs)
        self.sdk = clients.container_apps(SUB)
        self.adapter = AzureContainerAppsApi(clients=clients)
        self.timeline: dict[str, list[tuple[float, float | None]]] = defaultdict(list)
        self.spans: list[tuple[str, float, float]] = []
        self.full_gcs: list[tuple[float, float]] = []  # (start, end) of full collections, time.time()
        self.gc_in_window: list[float] = []  # full-GC pause (s) inside a measured click -> PATCH window
        self._gc_started = 0.0

    def gc_callback(self, phase: str, info: dict[str, int]) -> None:
        """Full collections stop every thread of this process (the bot and the emulators): note them."""
        if phase == "start":
            self._gc_started = time.time()
        elif info["generation"] == 2:
            self.full_gcs.append((self._gc_started, time.time()))

    def trace(self) -> None:
        """Time every public method of the bot's store, audit log, notifier and directory (for --trace)."""
        deps = self.world.runtime.deps
        for label, obj in (
            ("db", deps.requests),
            ("audit", deps.audit),
            ("slack", deps.notifier),
            ("directory", deps.directory),
        ):
            for name in dir(obj):
                method = getattr(obj, name)
                if name.startswith("_") or not callable(method):
                    continue
                setattr(obj, name, self._timed(f"{label}.{name}", method))

    def _timed(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.time()
            try:
                return method(*args, **kwargs)
            finally:
                self.spans.append((name, start, time.time()))

        return timed

    # --- helpers -------------------------------------------------------------------------------------

    def reset_traffic(self) -> None:
        self.emu.set_revision(SUB, RG, APP, V2, traffic_weight=100)
        if self.world.traffic() != {V1: 0, V2: 100}:
            raise SystemExit(f"could not reset traffic: {self.world.traffic()}")

    def _first_patch(self, t0: float) -> Any:
        found = [
            r
            for r in self.emu.requests.snapshot()
            if r.at >= t0 and r.method == "PATCH" and r.path.lower().endswith(f"/containerapps/{APP}")
        ]
        return found[0] if found else None

    # --- one bot run ---------------------------------------------------------------------------------

    def bot_run(self, index: int, *, record: bool) -> float:
        """Open a request, click Approve as BOB; seconds from the click to the emulator recording the PATCH."""
        self.reset_traffic()
        deps = self.world.runtime.deps
        state = FlowState(CHANNEL, SERVICE, ENV, True, CODE)
        request = rollbacks.open_request(deps, state=state, reason=f"bench run {index}", requester_id=ALICE)
        if request.message_ts is None:
            raise SystemExit(f"request #{request.id} has no card")
        signed = self.world.factory.block_action_message(
            BOB, CHANNEL, request.message_ts, SlackId.approve.value, encode_request_ref(request.id)
        )
        self.emu.requests.reset()
        self.world.slack.reset_calls()
        self.spans.clear()
        t0 = time.time()
        response = signed.post(self.world.url)
        t_ack = time.time()
        if response.status_code != 200:
            raise SystemExit(f"the Approve click answered {response.status_code}: {response.text[:200]}")
        patch = wait_until(lambda: self._first_patch(t0), f"the PATCH of run {index}")
        done = wait_until(
            lambda: (r := deps.requests.get(request.id)).status in TERMINAL and r, f"request #{request.id} to finish"
        )
        if done.status is not RequestStatus.succeeded:
            raise SystemExit(f"request #{request.id} ended {done.status.value}: {done.result}")
        ts = request.message_ts
        wait_until(
            lambda: any("Rollback verified" in m.get("text", "") for m in self.world.slack.thread(CHANNEL, ts)),
            "the verification in the thread",
        )
        if self.world.traffic() != {V1: 100, V2: 0}:
            raise SystemExit(f"run {index}: traffic after the rollback is {self.world.traffic()}")
        if record:
            self._record_timeline(t0, t_ack, patch.at)
            self.gc_in_window += [end - start for start, end in self.full_gcs if start < patch.at and end > t0]
        self.full_gcs.clear()
        return float(patch.at - t0)

    def _record_timeline(self, t0: float, t_ack: float, t_patch: float) -> None:
        """Offsets (ms from the click) and durations of what happened before the PATCH, by step (n-th occurrence)."""
        events: list[tuple[float, str, float | None]] = [(t_ack, "ack received by the client", None)]
        events += [(c.at, f"Slack {c.method} (at the fake)", None) for c in self.world.slack.calls if c.at <= t_patch]
        events += [
            (r.at, f"Azure {r.method} {_short(r.path)} (at the emulator)", None)
            for r in self.emu.requests.snapshot()
            if r.at <= t_patch
        ]
        events += [(start, name, end - start) for name, start, end in list(self.spans) if t0 <= start <= t_patch]
        seen: dict[str, int] = defaultdict(int)
        for at, name, took in sorted(events, key=lambda e: e[0]):
            seen[name] += 1
            label = name if seen[name] == 1 else f"{name} #{seen[name]}"
            self.timeline[label].append(((at - t0) * 1000, None if took is None else took * 1000))

    # --- floors --------------------------------------------------------------------------------------

    def _timed_patch(self, call: Callable[[], Any]) -> float:
        self.reset_traffic()
        self.emu.requests.reset()
        t0 = time.time()
        call()
        patch = self._first_patch(t0)
        if patch is None:
            raise SystemExit("the floor's PATCH was not recorded")
        if self.world.traffic() != {V1: 100, V2: 0}:
            raise SystemExit(f"the floor's PATCH left traffic at {self.world.traffic()}")
        return float(patch.at - t0)

    def raw_sdk_run(self) -> float:
        traffic = [
            aca_models.TrafficWeight(revision_name=V1, weight=100),
            aca_models.TrafficWeight(revision_name=V2, weight=0),
        ]
        patch = aca_models.ContainerApp({"properties": {"configuration": {"ingress": {"traffic": traffic}}}})
        return self._timed_patch(lambda: self.sdk.container_apps.begin_update(RG, APP, patch).result())

    def adapter_run(self) -> float:
        return self._timed_patch(lambda: self.adapter.set_traffic(self.ref, TrafficRules.named({V1: 100, V2: 0})))


def _short(path: str) -> str:
    tail = path.split("?", 1)[0].rsplit("/providers/", 1)[-1]
    return tail.replace("Microsoft.App/containerApps/", "").replace("Microsoft.App/containerapps/", "")


def report(
    bot_s: list[float],
    raw_s: list[float],
    adapter_s: list[float],
    timeline: dict[str, list[tuple[float, float | None]]],
    elapsed: float,
) -> None:
    ms = [s * 1000 for s in bot_s]
    raw = [s * 1000 for s in raw_s]
    adapter = [s * 1000 for s in adapter_s]
    print("median timeline of a run, ms after the click (what the bot does before the PATCH):")
    for label, items in sorted(timeline.items(), key=lambda kv: statistics.median(at for at, _ in kv[1])):
        if len(items) < len(ms) // 2:
            continue
        took = [t for _, t in items if t is not None]
        lasting = f", lasting {statistics.median(took):.1f} ms" if took else ""
        print(f"  {statistics.median(at for at, _ in items):8.1f}  {label}{lasting}  (in {len(items)}/{len(ms)} runs)")
    rows = (("bot click -> PATCH", ms), ("raw SDK call -> PATCH", raw), ("adapter set_traffic -> PATCH", adapter))
    for name, values in rows:
        print(
            f"{name:30} n={len(values):3}  median {statistics.median(values):7.2f} ms  "
            f"p99 {percentile(values, 99):7.2f} ms  min {min(values):7.2f} ms  max {max(values):7.2f} ms"
        )
    print(
        f"net: the bot adds {statistics.median(ms) - statistics.median(raw):.1f} ms (median) over the raw SDK PATCH; "
        f"total {elapsed:.1f} s"
    )
    print(
        f"approve→PATCH overhead median {statistics.median(ms):.1f} ms p99 {percentile(ms, 99):.1f} ms "
        f"(raw SDK PATCH median {statistics.median(raw):.1f} ms)"
    )


def measure(bench: Bench, *, runs: int, warmup: int, t_start: float) -> dict[str, list[float]]:
    """Warm up, then ``runs`` rounds of bot / raw SDK / adapter, the order reversed every other round."""
    for i in range(warmup):
        bench.bot_run(-1 - i, record=False)
        bench.raw_sdk_run()
        bench.adapter_run()
    out: dict[str, list[float]] = {"bot": [], "raw": [], "adapter": []}
    steps: dict[str, Callable[[int], float]] = {
        "bot": lambda i: bench.bot_run(i, record=True),
        "raw": lambda i: bench.raw_sdk_run(),
        "adapter": lambda i: bench.adapter_run(),
    }
    for i in range(runs):
        if time.monotonic() - t_start > TIME_BUDGET_S:
            print(f"time budget reached: stopping after {i} run(s)")
            break
        # Alternate which goes first so drift and noise hit all three alike.
        for name in ("bot", "raw", "adapter") if i % 2 == 0 else ("adapter", "raw", "bot"):
            out[name].append(steps[name](i))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="measured rollbacks (default 50)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured rollbacks first (default 3)")
    parser.add_argument(
        "--trace", action="store_true", help="also time the bot's store/audit/notifier/directory calls in the timeline"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be positive and --warmup not negative")

    t_start = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="bench-approval-"))
    world = World.start(f"sqlite:///{tmp / 'bot.db'}", tmp)
    bench: Bench | None = None
    try:
        # The same client settings World gives the bot (World.start: azure_client_kwargs).
        kwargs = {"polling_interval": 0, "lro_timeout": 5.0, "retry_backoff_factor": 0.01}
        bench = Bench(world, tmp / "rollback-bot.yaml", kwargs)
        gc.collect()  # start from a collected heap; later full collections are counted, see below
        gc.callbacks.append(bench.gc_callback)
        if args.trace:
            bench.trace()
        print(
            f"approve -> PATCH: {args.runs} runs after {args.warmup} warm-up(s); World up in "
            f"{time.monotonic() - t_start:.1f} s"
        )
        results = measure(bench, runs=args.runs, warmup=args.warmup, t_start=t_start)
    finally:
        if bench is not None and bench.gc_callback in gc.callbacks:
            gc.callbacks.remove(bench.gc_callback)
        world.close()
        shutil.rmtree(tmp, ignore_errors=True)

    if not results["bot"]:
        raise SystemExit("no run finished")
    pauses = bench.gc_in_window
    print(
        f"full GC pauses inside a measured click -> PATCH window: {len(pauses)}"
        + (f" (longest {max(pauses) * 1000:.0f} ms)" if pauses else "")
    )
    report(results["bot"], results["raw"], results["adapter"], bench.timeline, time.monotonic() - t_start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
