"""Rules import-linter cannot express: slack_sdk submodules in bot/slack, module size, no work at import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 330


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_slack_presentation_uses_only_block_kit_models() -> None:
    offenders = [
        f"{p.relative_to(ROOT)}: {name}"
        for p in (ROOT / "bot" / "slack").glob("*.py")
        for name in _imports(p)
        if name.startswith("slack_sdk") and not name.startswith("slack_sdk.models")
    ]
    assert offenders == []


def test_modules_stay_small() -> None:
    big = [
        f"{p.relative_to(ROOT)}: {n} lines"
        for d in ("bot", "handlers", "sandbox")
        for p in (ROOT / d).rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert big == []


def test_importing_everything_does_nothing() -> None:
    """Nothing happens at import: no threads, no sockets, no files, no engines."""
    code = (
        "import threading, pkgutil, importlib, bot, handlers\n"
        "before = threading.active_count()\n"
        "for pkg in (bot, handlers):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if '.migrations' in m.name or m.name.endswith('__main__'):\n"
        "            continue\n"
        "        importlib.import_module(m.name)\n"
        "assert threading.active_count() == before, threading.enumerate()\n"
        "import os; assert not os.path.exists('rollback-bot.db')\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT / "tests" / "data", capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
