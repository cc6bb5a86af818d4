#!/usr/bin/env python3
"""Project entry point for people and CI; needs nothing but Python 3.11+.

    python3 dev.py run [ARGS...]   run ``rollback-bot ARGS``; with no ARGS: ``rollback-bot serve`` when
                                   SLACK_BOT_TOKEN is set, else ``rollback-bot sandbox`` (the whole bot on
                                   this machine behind a Slack-like page; it prints the URL to open)
    python3 dev.py test [ARGS...]  run every test (pytest ARGS are passed through);
                                   ``python3 dev.py test -m fast``: only the fast tier (tests/fast), in one
                                   process, in a few seconds

Both create ``.venv`` on first use and re-install the project whenever its packaging files change.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
import sys
import venv
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("ROLLBACK_BOT_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".rollback-bot-installed"


def _fingerprint() -> str:
    files = ("pyproject.toml", "setup.py", "sandbox/pyproject.toml")
    return hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in files)).hexdigest()


def ensure_venv() -> None:
    """Create the virtualenv and install the project (with test extras) when missing or stale."""
    if sys.version_info < (3, 11):
        sys.exit(f"rollback-bot needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print(f"dev.py: creating virtualenv in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print("dev.py: installing rollback-bot and its test tools into the virtualenv", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    # The bot with its test tools, and the sandbox distribution (fakes of Slack and Azure, the page) beside it.
    subprocess.run([*pip, "-e", f"{ROOT}[test]", "-e", str(ROOT / "sandbox")], check=True)
    STAMP.write_text(_fingerprint())


def run_args(rest: list[str], environ: Mapping[str, str]) -> list[str]:
    """The `rollback-bot` arguments of `dev.py run`: ARGS, else the bot when Slack is configured, else the sandbox."""
    if rest:
        return rest
    return ["serve"] if environ.get("SLACK_BOT_TOKEN") else ["sandbox"]


def _fast_only(rest: list[str]) -> bool:
    return any(a == "-m" and b == "fast" for a, b in itertools.pairwise(rest)) or "-mfast" in rest


def _names_a_path(arg: str) -> bool:
    return not arg.startswith("-") and (ROOT / arg.split("::", 1)[0]).exists()


def pytest_workers(rest: list[str], environ: Mapping[str, str], cpus: int | None = None) -> str:
    """Two workers per core, at most four, unless PYTEST_WORKERS says otherwise: the acceptance tests spend
    most of their time waiting (on leases, latencies the tests inject, child processes), not computing. The
    fast tier alone runs in one process (starting workers, each collecting the whole suite, would take longer
    than its tests)."""
    if "PYTEST_WORKERS" in environ:
        return environ["PYTEST_WORKERS"]
    if _fast_only(rest):
        return "0"
    return str(min(4, 2 * (cpus or os.cpu_count() or 1)))


def pytest_args(rest: list[str], environ: Mapping[str, str], cpus: int | None = None) -> list[str]:
    """The pytest arguments of `dev.py test`. The fast tier alone collects only tests/fast (where every
    fast test lives, checked by tests/test_dev_entry.py) instead of importing the whole suite to deselect it."""
    where = ["tests/fast"] if _fast_only(rest) and not any(map(_names_a_path, rest)) else []
    return ["-n", pytest_workers(rest, environ, cpus), *rest, *where]


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test"}:
        print(__doc__)
        return 2
    ensure_venv()
    command, rest = argv[0], argv[1:]
    if command == "run":
        cmd = [str(BIN / "rollback-bot"), *run_args(rest, os.environ)]
    else:
        cmd = [str(BIN / "python"), "-m", "pytest", *pytest_args(rest, os.environ)]
    return subprocess.run(cmd, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
