"""Ack storm: acks of a mixed storm with Azure slow (2.5 s per call) against the same storm with Azure at 0 ms.

    .venv/bin/python bench/ack_storm.py [--homes 40] [--helps 20] [--clicks 10] [--latency 2.5] [--repeats 3]

One storm = ``--homes`` App Home opens (each user a different person), ``--helps`` `/rollback help` commands
and ``--clicks`` Approve clicks that are refused (the requester approving their own request), all signed and
POSTed to `/slack/events` at once (one client thread per request). What is measured is each request's
client-side time until its HTTP answer. Every answer must be a 200 within Slack's 3 s, with Azure slow or
not: that is the acceptance, checked here on every request.

The bot: ``build_runtime`` (SQLite in a temp dir, the demo service with every kind configured, the Slack
fake as SLACK_API_URL) served by ``bot.server.start_in_thread``. Slow storms make App Home read live state
from an Azure that answers each call after ``--latency`` seconds; the bot serves App Home from its cached
board and refreshes it in the background, so the acks must not notice.

The floor is the same storm with Azure at 0 ms (the emulator's latency rule cleared). Each storm meets a
freshly started bot (so each starts with App Home's board not read yet, and its opens cost exactly one
background refresh: still waiting on Azure during a slow storm, done within a fast one). Storms alternate
slow/fast in ABBA order per pair; each storm's answers (usage replies, refusals, App Home publishes) must
reach the Slack fake before the bot is stopped.

Four processes: this one (the load generator), the bot, the Slack fake, the Azure emulator, so neither
fake's Python competes with the bot for the GIL.

Last line: ``ack storm p99 slow/fast Azure: X.XX`` (slow storms' p99 over the fast storms' p99; ≤ 1.5 wanted).
"""

from __future__ import annotations

import argparse
import os
import shutil
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
REQUESTER = "U0ALICE"
APPROVERS = "S0APPROVERS"
SLACK_ACK_SECONDS = 3.0
TIME_BUDGET_S = 240.0  # stop starting new repeats after this


# --- the Slack fake (child process) ---------------------------------------------------------------------------


def _users(n: int) -> list[str]:
    return [f"U0HOME{i:04d}" for i in range(n)]


def _fake_main(conn: Connection, homes: int) -> None:
    """The Slack fake, and the signed storms it issues trigger ids and response URLs for."""
    from sandbox.emulators.slack import SlackFake, SlackUser
    from sandbox.emulators.slack.requests import SlackRequestFactory
    from tests.harness.world import BOB, CAROL, DEPLOYS

    fake = SlackFake().start()
    for uid, name in ((REQUESTER, "alice"), (BOB, "bob"), (CAROL, "carol")):
        fake.add_user(SlackUser(id=uid, name=name))
    for uid in _users(homes):
        fake.add_user(SlackUser(id=uid, name=uid.lower()))
    fake.add_usergroup(APPROVERS, handle="sre-approvers", users=[BOB])
    fake.add_channel(CHANNEL, name="inc-pharmabot")
    fake.add_channel(DEPLOYS, name="deploys")
    factory = SlackRequestFactory(SECRET, fake=fake)
    conn.send({"api_url": fake.api_url, "bot_token": fake.bot_token})
    try:
        while (ask := conn.recv())[0] != "stop":
            if ask[0] == "storm":
                conn.send(_storm(factory, *ask[1:]))
            elif ask[0] == "settle":
                conn.send(_settle(fake, *ask[1:]))
    finally:
        fake.stop()
        conn.send("stopped")


def _storm(factory: Any, homes: int, helps: int, clicks: int, card_ts: str, ref: str) -> list[tuple[str, Any]]:
    from bot.slack.ids import SlackId

    signed = [("home", factory.app_home_opened(u)) for u in _users(homes)]
    signed += [("help", factory.slash_command(REQUESTER, CHANNEL, "help")) for _ in range(helps)]
    signed += [
        ("click", factory.block_action_message(REQUESTER, CHANNEL, card_ts, SlackId.approve.value, ref))
        for _ in range(clicks)
    ]
    return [(kind, (s.body, s.headers)) for kind, s in signed]


def _settle(fake: Any, homes: int, answers: int, timeout: float) -> dict[str, int]:
    """Wait until the storm's answers reached the fake (every user's App Home, every usage and refusal)."""
    deadline = time.monotonic() + timeout
    while True:
        published = {c.body.get("user_id") for c in fake.calls_to("views.publish")}
        answered = len(fake.calls_to("response_url"))
        if (len(published) >= homes and answered >= answers) or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    fake.reset_calls()
    return {"home_users": len(published), "answers": answered}


# --- the Azure emulator (child process) -----------------------------------------------------------------------


def _azure_main(conn: Connection) -> None:
    from sandbox.emulators.azure import DEMO_ESTATE_PATH, AzureEmulator

    emulator = AzureEmulator(estate=DEMO_ESTATE_PATH).start()
    conn.send({"url": emulator.url, "ca_path": emulator.ca_path, "token": emulator.token})
    try:
        while (ask := conn.recv())[0] != "stop":
            emulator.faults.clear()
            if ask[1] > 0:
                emulator.faults.latency(ask[1])
            conn.send("ok")
    finally:
        emulator.stop()
        conn.send("stopped")


# --- the bot (child process) ------------------------------------------------------------------------------------


def _bot_main(conn: Connection, slack: dict[str, str], azure: dict[str, str]) -> None:
    import logging

    import yaml

    from bot.adapters.db.engine import make_engine
    from bot.bootstrap import build_runtime
    from bot.config import load_settings
    from bot.domain.kinds import CODE
    from bot.domain.tree import FlowState
    from bot.kinds.builtin import BUILTIN
    from bot.server import freeze_startup_heap, start_in_thread, stop_server
    from bot.services import rollbacks
    from bot.slack.payloads import encode_request_ref
    from tests.harness.world import seed_llm_calls, seed_prompts, world_config

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth" under a storm: expected
    tmp = Path(tempfile.mkdtemp(prefix="bench-storm-"))
    prompts_url = f"sqlite:///{tmp / 'app.db'}"
    prompts_engine = make_engine(prompts_url)
    seed_prompts(prompts_engine)
    seed_llm_calls(prompts_url)
    os.environ["WORLD_SEARCH_KEY"] = azure["token"]

    class Emulator:  # what world_config reads of the emulator
        url, ca_path = azure["url"], azure["ca_path"]

    cfg_path = tmp / "rollback-bot.yaml"
    cfg_path.write_text(yaml.safe_dump(world_config(Emulator(), prompts_url)))  # type: ignore[arg-type]
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": slack["bot_token"],
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack["api_url"],
            "DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}",
            "ROLLBACK_BOT_CONFIG": str(cfg_path),
        }
    )
    kwargs = {"polling_interval": 0, "lro_timeout": 30.0, "retry_backoff_factor": 0.01}
    runtime = build_runtime(settings, BUILTIN.load_config(cfg_path), azure_client_kwargs=kwargs)
    server, url = start_in_thread(runtime)
    flow = FlowState(CHANNEL, "pharmabot", "prod", True, CODE)
    request = rollbacks.open_request(runtime.deps, state=flow, reason="bench: v2 fails", requester_id=REQUESTER)
    freeze_startup_heap()
    conn.send({"url": url, "card_ts": request.message_ts or "", "ref": encode_request_ref(request.id)})
    try:
        conn.recv()
    finally:
        stop_server(server)
        prompts_engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)
        conn.send("stopped")
        os._exit(0)  # a slow storm's App Home refresh may still be waiting on Azure: not worth waiting for


# --- the load generator (this process) ------------------------------------------------------------------------


def _post(url: str, body: str, headers: dict[str, str], start: threading.Event) -> tuple[float, int]:
    with requests.Session() as session:
        start.wait()
        started = time.perf_counter()
        response = session.post(url, data=body.encode(), headers=headers, timeout=10)
        return time.perf_counter() - started, response.status_code


def storm(bot_url: str, signed: list[tuple[str, Any]]) -> dict[str, list[tuple[float, int]]]:
    """Every request at once (one thread each, released together); latency and status per kind."""
    start = threading.Event()
    url = bot_url + "/slack/events"
    with ThreadPoolExecutor(max_workers=len(signed)) as pool:
        futures = [(kind, pool.submit(_post, url, body, headers, start)) for kind, (body, headers) in signed]
        time.sleep(0.2)  # every thread waiting at the gate
        start.set()
        results: dict[str, list[tuple[float, int]]] = {}
        for kind, future in futures:
            results.setdefault(kind, []).append(future.result())
    return results


def _one_storm(fake: Child, azure: Child, args: argparse.Namespace) -> dict[str, list[tuple[float, int]]]:
    """A fresh bot, one storm at it, its answers checked (all 200 within 3 s) and settled, the bot stopped."""
    bot = Child(_bot_main, fake.info, azure.info)
    try:
        info = bot.info
        signed = fake.ask("storm", args.homes, args.helps, args.clicks, info["card_ts"], info["ref"])
        results = storm(info["url"], signed)
        late = [(kind, s, round(t, 2)) for kind, rs in results.items() for t, s in rs if s != 200 or t >= 3]
        if late:
            raise SystemExit(f"{len(late)} of {len(signed)} answers were not a 200 within 3 s: {late[:5]}")
        settled = fake.ask("settle", args.homes, args.helps + args.clicks, 60.0, timeout=90.0)
        if settled != {"home_users": args.homes, "answers": args.helps + args.clicks}:
            raise SystemExit(f"not every answer reached Slack: {settled}")
        return results
    finally:
        bot.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=40, help="App Home opens per storm (default 40)")
    parser.add_argument("--helps", type=int, default=20, help="/rollback help per storm (default 20)")
    parser.add_argument("--clicks", type=int, default=10, help="refused Approve clicks per storm (default 10)")
    parser.add_argument("--latency", type=float, default=2.5, help="Azure seconds per call when slow (default 2.5)")
    parser.add_argument("--repeats", type=int, default=3, help="slow/fast pairs, ABBA (default 3)")
    args = parser.parse_args(argv)
    if min(args.homes, args.helps, args.clicks, args.repeats) < 1 or args.latency <= 0:
        parser.error("every count must be positive, and the latency above 0")

    t0 = time.monotonic()
    fake = Child(_fake_main, args.homes)
    azure = Child(_azure_main)
    latencies: dict[str, list[float]] = {"slow": [], "fast": []}
    worst: dict[str, float] = {"slow": 0.0, "fast": 0.0}
    print(
        f"ack storm: {args.homes} App Home opens + {args.helps} /rollback help + {args.clicks} refused Approve "
        f"clicks at once; Azure {args.latency:g} s per call (slow) vs 0 ms (fast), {args.repeats} pair(s) ABBA, "
        "a fresh bot per storm; processes: client | bot | Slack fake | Azure emulator"
    )
    try:
        for rep in range(args.repeats):
            if rep and time.monotonic() - t0 > TIME_BUDGET_S:
                print(f"time budget reached: stopping after {rep} pair(s)")
                break
            for side in ("slow", "fast") if rep % 2 == 0 else ("fast", "slow"):
                azure.ask("latency", args.latency if side == "slow" else 0.0)
                results = _one_storm(fake, azure, args)
                every = [r for rs in results.values() for r in rs]
                latencies[side] += [t for t, _ in every]
                worst[side] = max(worst[side], *(t for t, _ in every))
                by_kind = "  ".join(
                    f"{kind} p99 {percentile([t for t, _ in rs], 99) * 1000:6.1f} ms" for kind, rs in results.items()
                )
                print(f"  pair {rep + 1} {side}: {by_kind}")
    finally:
        azure.close()
        fake.close()

    p99 = {side: percentile(values, 99) for side, values in latencies.items()}
    for side in ("slow", "fast"):
        print(
            f"{side}: {len(latencies[side])} answers, all 200 within {SLACK_ACK_SECONDS:g} s; "
            f"p50 {percentile(latencies[side], 50) * 1000:.1f} ms  p99 {p99[side] * 1000:.1f} ms  "
            f"max {worst[side] * 1000:.1f} ms"
        )
    print(f"total {time.monotonic() - t0:.1f} s")
    print(f"ack storm p99 slow/fast Azure: {p99['slow'] / p99['fast']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
