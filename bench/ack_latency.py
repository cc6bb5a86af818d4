"""Ack latency of `/rollback help`: the served bot against a bare Bolt app (the floor), same server, same run.

    .venv/bin/python bench/ack_latency.py [--n 400] [--concurrency 20] [--batch 100] [--repeats 3] [--warmup 20]

What is measured: the client-side time of one signed `/rollback help` POST to `/slack/events` until the
HTTP 200 (Bolt's ack, empty body) has arrived, with ``--concurrency`` requests in flight (a closed loop:
a thread pool of C workers, one ``requests.Session`` each).

(a) the bot: ``build_runtime`` (SQLite in a temp dir, one service whose incident channel is the one the
    command comes from, the Slack fake as SLACK_API_URL) served by ``bot.server.make_server``;
(b) the floor: a bare ``slack_bolt.App`` whose only `/rollback` listener calls ``ack()`` and
    ``respond(text=...)``, wrapped in ``SlackRequestHandler`` and served by waitress with the settings of
    ``bot.server.make_server`` (threads=8, same limits).

Three processes: this one (the load generator), one serving both apps, one running the Slack fake (which
the ``respond`` posts reach, as they would reach Slack). The client's and the fake's Python work then do
not compete with the apps for the GIL: they would add the same cost to both sides and flatten the ratio.

Fairness: the N requests per side go in batches (``--batch``) interleaved floor/bot in ABBA order, so machine
noise and drift hit both sides; before each batch every earlier command's ``respond`` must have reached the
fake, so the background work of one batch never overlaps the next. Every answer must be a bare ack (200,
empty body). The whole interleaved run is repeated (``--repeats``) and each side's best repeat is kept.

Last line: ``ack p99 ratio bot/floor: X.XX`` (best bot p99 / best floor p99).
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import requests
from procs import Child, percentile

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECRET = "bench-signing-secret"
CHANNEL = "C0INCIDENT"
USER = "U0ALICE"
APPROVER = "U0BOB"
APPROVERS = "S0APPROVERS"
TIME_BUDGET_S = 50.0  # stop starting new runs after this (the whole bench must stay under 60 s)


# --- the server side (child processes) ----------------------------------------------------------------


def _bench_config() -> dict[str, Any]:
    return {
        "services": [
            {
                "name": "pharmabot",
                "environments": [
                    {
                        "name": "prod",
                        "incident_channels": [CHANNEL],
                        "approvers": {"usergroup": APPROVERS},
                    }
                ],
            }
        ],
    }


def _floor_app(slack: dict[str, str]) -> Any:
    """A bare Bolt app: one `/rollback` listener that acks and responds with a small text."""
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    app = App(
        client=WebClient(token=slack["bot_token"], base_url=slack["api_url"], timeout=10),
        signing_secret=SECRET,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )

    @app.command("/rollback")
    def rollback(ack: Any, respond: Any) -> None:
        ack()
        respond(text="usage: /rollback [service] [env]", response_type="ephemeral")

    return SlackRequestHandler(app)


def _fake_main(conn: Connection) -> None:
    """Child process 1: the Slack fake (Web API and response_url), and the signed commands it issues URLs for."""
    from sandbox.emulators.slack import SlackFake, SlackUser
    from sandbox.emulators.slack.requests import SlackRequestFactory

    fake = SlackFake().start()
    fake.add_user(SlackUser(id=USER, name="alice", real_name="Alice"))
    fake.add_user(SlackUser(id=APPROVER, name="bob", real_name="Bob"))
    fake.add_usergroup(APPROVERS, handle="sre-approvers", users=[APPROVER])
    fake.add_channel(CHANNEL, name="inc-pharmabot")
    factory = SlackRequestFactory(SECRET, fake=fake)
    conn.send({"api_url": fake.api_url, "bot_token": fake.bot_token})
    try:
        while True:
            ask = conn.recv()
            if ask[0] == "requests":
                signed = [factory.slash_command(USER, CHANNEL, "help") for _ in range(ask[1])]
                conn.send([(s.body, s.headers) for s in signed])
            elif ask[0] == "drain":
                conn.send(_drain(fake, ask[1], ask[2]))
            else:
                break
    finally:
        fake.stop()
        conn.send("stopped")


def _drain(fake: Any, expected: int, timeout: float) -> tuple[int, int]:
    """Wait until ``expected`` response_url posts arrived; answer (ok, failed) and forget the calls.

    Forgetting keeps the fake's call log (and so its per-call cost) from growing over the run.
    """
    deadline = time.monotonic() + timeout
    while True:
        calls = fake.calls_to("response_url")
        if len(calls) >= expected or time.monotonic() > deadline:
            break
        time.sleep(0.005)
    fake.reset_calls()
    failed = sum(1 for c in calls if c.error is not None)
    return len(calls) - failed, failed


class GcPauses:
    """Garbage-collector pauses in the server process since the last ``take()`` (they stop every thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started = 0.0
        self._full: list[float] = []
        self._young = 0.0

    def callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        with self._lock:
            if info["generation"] == 2:
                self._full.append(took)
            else:
                self._young += took

    def take(self) -> tuple[list[float], float]:
        with self._lock:
            full, young = self._full, self._young
            self._full, self._young = [], 0.0
        return full, young


def _servers_main(conn: Connection, slack: dict[str, str]) -> None:
    """Child process 2: the bot and the floor, each served by waitress with the same settings."""
    import logging

    import yaml
    from waitress.server import create_server

    from bot.bootstrap import build_runtime
    from bot.config import load_settings
    from bot.kinds.builtin import BUILTIN
    from bot.server import freeze_startup_heap, start_in_thread, stop_server
    from bot.web import MAX_BODY_BYTES

    # waitress warns "Task queue depth is N" whenever all 8 threads are busy: expected at C > 8, and the
    # writes to stderr would cost both sides time.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    tmp = Path(tempfile.mkdtemp(prefix="bench-ack-"))
    cfg_path = tmp / "rollback-bot.yaml"
    cfg_path.write_text(yaml.safe_dump(_bench_config()))
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": slack["bot_token"],
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack["api_url"],
            "DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}",
            "ROLLBACK_BOT_CONFIG": str(cfg_path),
        }
    )
    runtime = build_runtime(settings, BUILTIN.load_config(cfg_path))
    bot_server, bot_url = start_in_thread(runtime)

    floor_server: Any = create_server(
        _floor_app(slack),
        host="127.0.0.1",
        port=0,
        threads=8,
        ident="rollback-bot",
        max_request_body_size=MAX_BODY_BYTES,
        channel_timeout=30,
        clear_untrusted_proxy_headers=True,
    )
    threading.Thread(target=floor_server.run, name="waitress-floor", daemon=True).start()
    floor_url = f"http://127.0.0.1:{floor_server.effective_port}"
    # As `rollback-bot serve` does: collect and freeze the start-up heap (~160k objects: the SDKs,
    # SQLAlchemy, pydantic, alembic) so no full collection of it lands in either side's batches.
    freeze_startup_heap()
    pauses = GcPauses()
    gc.callbacks.append(pauses.callback)
    conn.send({"bot": bot_url, "floor": floor_url})
    try:
        while conn.recv()[0] == "gc":
            conn.send(pauses.take())
    finally:
        gc.callbacks.remove(pauses.callback)
        stop_server(floor_server)
        stop_server(bot_server)
        runtime.close()
        shutil.rmtree(tmp, ignore_errors=True)
        conn.send("stopped")


# --- the client side (this process) ----------------------------------------------------------------------


def wait_responds(fake: Child, expected: int, timeout: float = 10.0) -> None:
    """Until the last batch's ``expected`` respond() posts reached the fake: no background work leaks into
    the next batch (and every command was answered)."""
    ok, failed = fake.ask("drain", expected, timeout)
    if failed or ok != expected:
        raise SystemExit(f"respond() reached the fake {ok} times ({failed} failed); expected {expected}")


class Client:
    """C workers, one requests.Session each (kept alive across runs)."""

    def __init__(self, concurrency: int) -> None:
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bench-client")

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[float, int, bytes]:
        session = self._session()
        started = time.perf_counter()
        response = session.post(url, data=body, headers=headers, timeout=10)
        elapsed = time.perf_counter() - started
        return elapsed, response.status_code, response.content

    def run(self, base_url: str, signed: list[tuple[str, dict[str, str]]]) -> tuple[list[float], float]:
        """POST every request (C in flight); latencies in seconds and the wall time. Anything but an ack aborts."""
        url = base_url + "/slack/events"
        started = time.perf_counter()
        futures = [self.pool.submit(self._post, url, body.encode(), headers) for body, headers in signed]
        results = [f.result() for f in futures]
        wall = time.perf_counter() - started
        bad = [(status, content[:200]) for _, status, content in results if status != 200 or content]
        if bad:
            raise SystemExit(
                f"{len(bad)} of {len(results)} requests to {base_url} were not a bare ack (200, empty body): {bad[:3]}"
            )
        return [latency for latency, _, _ in results], wall

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        for session in self._sessions:
            session.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400, help="measured requests per side and repeat (default 400)")
    parser.add_argument("--concurrency", type=int, default=20, help="requests in flight (default 20)")
    parser.add_argument("--batch", type=int, default=100, help="requests per interleaved batch (default 100)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the whole interleaved run (default 3)")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up requests per side (at least C)")
    args = parser.parse_args(argv)
    if min(args.n, args.concurrency, args.batch, args.repeats) < 1:
        parser.error("--n, --concurrency, --batch and --repeats must be positive")

    t0 = time.monotonic()
    fake = Child(_fake_main)
    servers: Child | None = None
    client = Client(args.concurrency)
    results: dict[str, list[tuple[float, float]]] = {"floor": [], "bot": []}
    try:
        servers = Child(_servers_main, fake.info)
        urls = servers.info
        print(
            f"ack latency of /rollback help: n={args.n} per side, concurrency={args.concurrency}, batches of "
            f"{args.batch} interleaved ABBA, repeats={args.repeats}; processes: client | bot+floor | Slack fake "
            f"(started in {time.monotonic() - t0:.1f} s)"
        )
        warm = max(args.warmup, args.concurrency)
        for side in ("floor", "bot"):
            client.run(urls[side], fake.ask("requests", warm))
            wait_responds(fake, warm)
        servers.ask("gc")

        for rep in range(args.repeats):
            if rep and time.monotonic() - t0 > TIME_BUDGET_S:
                print(f"time budget reached: stopping after {rep} repeat(s)")
                break
            latencies: dict[str, list[float]] = {"floor": [], "bot": []}
            busy: dict[str, float] = {"floor": 0.0, "bot": 0.0}
            full_gc: dict[str, list[float]] = {"floor": [], "bot": []}
            sizes = [min(args.batch, args.n - done) for done in range(0, args.n, args.batch)]
            for index, size in enumerate(sizes):
                # ABBA: floor, bot | bot, floor | ... so drift and noise land on both sides alike.
                order = ("floor", "bot") if (index + rep) % 2 == 0 else ("bot", "floor")
                for side in order:
                    batch, wall = client.run(urls[side], fake.ask("requests", size))
                    latencies[side].extend(batch)
                    busy[side] += wall
                    wait_responds(fake, size)
                    full_gc[side] += servers.ask("gc")[0]
            for side in ("floor", "bot"):
                p50, p99 = percentile(latencies[side], 50), percentile(latencies[side], 99)
                results[side].append((p50, p99))
                print(
                    f"  repeat {rep + 1} {side:5}: p50 {p50 * 1000:7.2f} ms  p99 {p99 * 1000:7.2f} ms  "
                    f"mean {statistics.fmean(latencies[side]) * 1000:7.2f} ms  "
                    f"{len(latencies[side]) / busy[side]:6.0f} req/s  "
                    f"full GC pauses {len(full_gc[side])} (max {max(full_gc[side], default=0) * 1000:.0f} ms)"
                )
    finally:
        client.close()
        if servers is not None:
            servers.close()
        fake.close()

    best = {side: (min(r[0] for r in runs), min(r[1] for r in runs)) for side, runs in results.items()}
    for side in ("floor", "bot"):
        p50, p99 = best[side]
        print(f"{side:5} (best of {len(results[side])}): p50 {p50 * 1000:.2f} ms  p99 {p99 * 1000:.2f} ms")
    print(f"ack p50 ratio bot/floor: {best['bot'][0] / best['floor'][0]:.2f}")
    print(f"every response was 200 with the ack; every respond() reached the fake; total {time.monotonic() - t0:.1f} s")
    print(f"ack p99 ratio bot/floor: {best['bot'][1] / best['floor'][1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
