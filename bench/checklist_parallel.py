"""Pre-deploy checklists for many services at once (``run_checklists``) against the same work done one at a
time (``run_checklist`` in a loop), with the Azure emulator adding latency to every ARM / AI Search call.

    .venv/bin/python bench/checklist_parallel.py [--services 50] [--latency 0.1] [--parallelism 25]

Setup (everything on 127.0.0.1, SQLite in a temp dir):

* an Azure emulator estate with N container apps ``svc-00-prod`` ... (revisions v1: healthy, active, 0 %;
  v2: 100 %), one Azure OpenAI account with one deployment (and an older catalog version to roll back to),
  one PostgreSQL flexible server with daily backups, and an AI Search alias over two index versions;
* a configuration with N services ``svc-00`` ... (environment ``prod``), each with its own container app and
  the same openai / postgres / search / telemetry / prompts blocks (one SQLite file seeded like
  ``tests.harness.world.seed_prompts`` and ``seed_llm_calls``), and a passing drill recorded per service, so
  every one of the five checks does its real work;
* ``build_runtime`` (``slack_app=False``, ``azure_client_kwargs={"polling_interval": 0, "retry_total": 0}``);
* ``emu.faults.latency(S)`` on every ARM / AI Search call (not on the ``/_apps/`` health endpoints).

After one unmeasured warm-up pass over all services (SDK clients, TLS connections, SQLAlchemy pools), the
Azure calls of one checklist are counted from the emulator's request log, then the bench times

(a) ``run_checklists(deps, targets=all N, trigger="bench", parallelism=P)``, and
(b) the floor: the same N checklists done serially with ``run_checklist``,

checks both produced the same verdicts, and prints last:

    checklist 50 services: parallel X.XX s, serial Y.YY s, speed-up Z.Zx

The serial floor takes about (Azure calls per checklist) x S x N seconds: 15 calls x 0.1 s x 50 = 75 s of
latency alone, ~85 s measured, so the whole bench takes ~100 s at full size. That is the work the issue asks
to compare against; it is not trimmed (use --services / --latency for a quick run). The parallel run cannot
beat ceil(N / P) x calls x S (3.0 s at the defaults) however fast the bot is, and the emulator runs in this
process, so its CPU shares the GIL with the bot's threads (the CPU line shows how much that is).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bot.adapters.db.engine import make_engine  # noqa: E402
from bot.bootstrap import Runtime, build_runtime  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.domain.kinds import CODE  # noqa: E402
from bot.domain.readiness import DrillPhase, DrillRecord  # noqa: E402
from bot.domain.rollback_requests import ServiceEnv  # noqa: E402
from bot.kinds.builtin import BUILTIN  # noqa: E402
from bot.services.checklist_runs import ChecklistRun, run_checklist, run_checklists  # noqa: E402
from sandbox.emulators.azure import AzureEmulator, RecordedRequest  # noqa: E402
from tests.harness.world import seed_llm_calls, seed_prompts  # noqa: E402

SUB = "00000000-0000-0000-0000-000000000001"
RG = "bench-rg"
ENV = "prod"
OPENAI, DEPLOYMENT, PG, ALIAS = "bench-openai", "gpt4o-stable", "bench-db", "drugs"
SEARCH_KEY_VAR = "BENCH_CHECKLIST_SEARCH_KEY"
HEALTH_PREFIX = "/_apps/"
APP_NAME = re.compile(rf"svc-\d+-{ENV}")


def service_name(i: int) -> str:
    return f"svc-{i:02d}"


def estate(n: int) -> dict[str, Any]:
    """N container apps (v1 healthy at 0 %, v2 at 100 %), one OpenAI account, one server, one search alias."""
    apps = [
        {
            "name": f"{service_name(i)}-{ENV}",
            "environment": "bench-env",
            "revisions_mode": "Multiple",
            "revisions": [
                {
                    "name": "v1",
                    "image": f"acr.io/{service_name(i)}:1.4.2",
                    "created": "-3h",
                    "healthy": True,
                    "active": True,
                    "traffic": 0,
                },
                {
                    "name": "v2",
                    "image": f"acr.io/{service_name(i)}:1.5.0",
                    "created": "-40m",
                    "healthy": True,
                    "active": True,
                    "traffic": 100,
                },
            ],
        }
        for i in range(n)
    ]
    return {
        "subscription": SUB,
        "resource_group": RG,
        "location": "eastus",
        "container_apps": apps,
        "openai_accounts": [
            {
                "name": OPENAI,
                "deployments": [
                    {
                        "name": DEPLOYMENT,
                        "model": "gpt-4o",
                        "version": "2024-08-06",
                        "since": "-2h",
                        "history": [{"version": "2024-05-13", "since": "-60d"}],
                        "upgrade": "NoAutoUpgrade",
                        "sku": "Standard",
                        "capacity": 10,
                    },
                ],
                "models": [
                    {
                        "name": "gpt-4o",
                        "version": "2024-08-06",
                        "default": True,
                        "lifecycle": "GenerallyAvailable",
                        "retires": "+300d",
                    },
                    {"name": "gpt-4o", "version": "2024-05-13", "lifecycle": "GenerallyAvailable", "retires": "+120d"},
                ],
            }
        ],
        "postgres_servers": [
            {
                "name": PG,
                "version": "16",
                "retention_days": 7,
                "earliest_restore": "-7d",
                "backups": {"daily": 7, "newest": "-3h"},
            },
        ],
        "search": {"indexes": {"drugs-v1": 12000, "drugs-v2": 12450}, "aliases": {ALIAS: "drugs-v2"}},
    }


def config_text(emu: AzureEmulator, n: int, prompts_url: str) -> str:
    """The YAML configuration: N services, each its own container app, the other blocks shared."""
    health_url = emu.url + "/_apps/{app}/{revision}{path}"

    def env(i: int) -> dict[str, Any]:
        return {
            "name": ENV,
            "incident_channels": ["C0INCIDENT"],
            "approvers": {"usergroup": "S0APPROVERS"},
            "container_app": {
                "subscription_id": SUB,
                "resource_group": RG,
                "name": f"{service_name(i)}-{ENV}",
                "health_url": health_url,
            },
            "prompts": {"database_url": prompts_url, "table": "system_prompts"},
            "openai": {"subscription_id": SUB, "resource_group": RG, "account": OPENAI, "deployments": [DEPLOYMENT]},
            "search": {"endpoint": emu.url, "alias": ALIAS, "api_key": "${" + SEARCH_KEY_VAR + "}"},
            "postgres": {"subscription_id": SUB, "resource_group": RG, "server": PG},
            "telemetry": {"database_url": prompts_url},
            "checklist": {"channel": "C0DEPLOYS", "backup_max_age_hours": 24},
        }

    services = [{"name": service_name(i), "environments": [env(i)]} for i in range(n)]
    return yaml.safe_dump(
        {"azure": {"arm_endpoint": emu.url, "ca_bundle": emu.ca_path, "credential": "emulator"}, "services": services}
    )


def seed_drills(runtime: Runtime, targets: list[ServiceEnv]) -> None:
    """A passing code drill a day ago per service, so check 5 reads a real record."""
    started = datetime.now(UTC) - timedelta(days=1)
    for target in targets:
        runtime.deps.drills.record(
            DrillRecord(
                target,
                CODE,
                "U0BENCH",
                started,
                phases={DrillPhase.command_issued.value: 1.0, DrillPhase.verified.value: 42.0},
                verified=True,
            )
        )


def verdicts(runs: list[ChecklistRun]) -> list[tuple[str, ...]]:
    return [(str(r.report.target), r.report.overall.value, *(c.status.value for c in r.report.results)) for r in runs]


def is_azure(r: RecordedRequest) -> bool:
    return not r.path.startswith(HEALTH_PREFIX)


def short(r: RecordedRequest) -> str:
    """``GET Microsoft.App/containerApps/{app}/revisions``: one shape for every service's app."""
    path = r.path.split("?", 1)[0]
    tail = path.rsplit("/providers/", 1)[-1] if "/providers/" in path else path
    return f"{r.method} {APP_NAME.sub('{app}', tail)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=50, help="services, one checklist each (default 50)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to every Azure call (default 0.1)")
    parser.add_argument("--parallelism", type=int, default=25, help="run_checklists parallelism (default 25)")
    args = parser.parse_args(argv)
    if not 1 <= args.services <= 100 or args.latency < 0 or args.parallelism < 1:
        parser.error("--services must be 1..100, --latency not negative, --parallelism positive")

    n, latency, p = args.services, args.latency, args.parallelism
    t_start = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="bench-checklist-"))
    emu = AzureEmulator(estate=estate(n)).start()
    runtime: Runtime | None = None
    try:
        prompts_url = f"sqlite:///{tmp / 'prompts.db'}"
        prompts_engine = make_engine(prompts_url)
        try:
            seed_prompts(prompts_engine)
        finally:
            prompts_engine.dispose()
        seed_llm_calls(prompts_url)
        config = BUILTIN.parse_config(config_text(emu, n, prompts_url), file="<bench>", env={SEARCH_KEY_VAR: emu.token})
        settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp / 'bot.db'}"})
        runtime = build_runtime(
            settings, config, slack_app=False, azure_client_kwargs={"polling_interval": 0, "retry_total": 0}
        )
        deps = runtime.deps
        targets = [ServiceEnv(service_name(i), ENV) for i in range(n)]
        seed_drills(runtime, targets)
        print(
            f"checklists for {n} services, +{latency * 1000:.0f} ms per Azure call, parallelism {p}; "
            f"set up in {time.monotonic() - t_start:.1f} s (pid {os.getpid()})"
        )

        # Warm-up: every service's SDK clients, TLS connections and DB pools, once, unmeasured (without the
        # added latency, which would only lengthen it: connections and clients are warm either way).
        t0 = time.perf_counter()
        warm = run_checklists(deps, targets=targets, trigger="bench-warmup", parallelism=p)
        print(f"warm-up (all {n}, parallel, no added latency): {time.perf_counter() - t0:.2f} s")
        expected = verdicts(warm)
        emu.faults.latency(latency)

        # Azure calls of one checklist (warm clients), from the emulator's request log.
        emu.requests.reset()
        t0 = time.perf_counter()
        one = run_checklist(deps, target=targets[0], trigger="bench-count")
        one_s = time.perf_counter() - t0
        log = emu.requests.snapshot()
        azure_calls = [r for r in log if is_azure(r)]
        calls = len(azure_calls)
        print(
            f"one checklist: {one_s:.2f} s, {calls} Azure calls (+{len(log) - calls} health GETs, no latency); "
            f"overall {one.report.overall.value}"
        )
        for shape, count in Counter(short(r) for r in azure_calls).most_common():
            print(f"  {count:2d} x {shape}")
        for result in one.report.results:
            print(f"  {result.key.value}: {result.status.value} - {result.summary}")

        # (a) parallel
        emu.requests.reset()
        c0, t0 = time.process_time(), time.perf_counter()
        parallel_runs = run_checklists(deps, targets=targets, trigger="bench", parallelism=p)
        parallel_s, parallel_cpu = time.perf_counter() - t0, time.process_time() - c0
        parallel_calls = sum(1 for r in emu.requests.snapshot() if is_azure(r))

        # (b) floor: the same work, one checklist at a time
        emu.requests.reset()
        c0, t0 = time.process_time(), time.perf_counter()
        serial_runs = [run_checklist(deps, target=t, trigger="bench") for t in targets]
        serial_s, serial_cpu = time.perf_counter() - t0, time.process_time() - c0
        serial_calls = sum(1 for r in emu.requests.snapshot() if is_azure(r))
    finally:
        if runtime is not None:
            runtime.close()
        emu.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    if verdicts(parallel_runs) != expected or verdicts(serial_runs) != expected:
        raise SystemExit("the parallel and serial runs reached different verdicts than the warm-up")
    overall = Counter(v[1] for v in expected)
    waves = math.ceil(n / min(p, n))
    ideal = waves * calls * latency
    print(f"verdicts identical in all runs: {dict(overall)}")
    print(
        f"Azure calls: {calls} per checklist; parallel run {parallel_calls}, serial run {serial_calls} "
        f"(expected {calls * n})"
    )
    print(
        f"parallel: {parallel_s:.2f} s, CPU {parallel_cpu:.2f} s  ({parallel_calls / parallel_s:.0f} calls/s; "
        f"latency-only bound {waves} wave(s) x {calls} calls x {latency:.3f} s = {ideal:.2f} s)"
    )
    print(
        f"serial:   {serial_s:.2f} s, CPU {serial_cpu:.2f} s  ({serial_s / n:.2f} s per checklist; "
        f"latency alone {calls * latency * n:.2f} s)"
    )
    print("(CPU: this process, i.e. the bot's threads and the in-process emulator, which share one GIL)")
    print(f"total {time.monotonic() - t_start:.1f} s")
    print(
        f"checklist {n} services: parallel {parallel_s:.2f} s, serial {serial_s:.2f} s, "
        f"speed-up {serial_s / parallel_s:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
