"""`python3 dev.py`: what `run` starts, and how `test` (the README's test command) runs the suite and the fast tier."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_entry", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dev_run_starts_the_sandbox_without_slack_credentials_and_the_bot_with_them() -> None:
    dev = _dev()
    assert dev.run_args([], {}) == ["sandbox"]
    assert dev.run_args([], {"SLACK_BOT_TOKEN": ""}) == ["sandbox"]
    assert dev.run_args([], {"SLACK_BOT_TOKEN": "xoxb-1"}) == ["serve"]
    assert dev.run_args(["sandbox", "--reset"], {"SLACK_BOT_TOKEN": "xoxb-1"}) == ["sandbox", "--reset"]


def test_the_whole_suite_runs_on_two_workers_per_core_at_most_four_with_the_arguments_given() -> None:
    dev = _dev()
    assert dev.pytest_args(["-x", "-k", "drill"], {}, cpus=2) == ["-n", "4", "-x", "-k", "drill"]
    assert dev.pytest_args([], {}, cpus=1) == ["-n", "2"]
    assert dev.pytest_args([], {}, cpus=16) == ["-n", "4"]


def test_the_fast_tier_alone_runs_in_one_process_and_collects_only_its_own_folder() -> None:
    dev = _dev()
    assert dev.pytest_args(["-m", "fast"], {}) == ["-n", "0", "-m", "fast", "tests/fast"]
    assert dev.pytest_args(["-mfast", "-q"], {}) == ["-n", "0", "-mfast", "-q", "tests/fast"]


def test_paths_given_with_the_fast_marker_are_kept_as_given() -> None:
    dev = _dev()
    asked = ["-m", "fast", "tests/fast/test_releases.py::test_an_approved_release_rollback_runs_once"]
    assert dev.pytest_args(asked, {}) == ["-n", "0", *asked]


def test_workers_can_be_chosen() -> None:
    dev = _dev()
    assert dev.pytest_args(["-m", "fast"], {"PYTEST_WORKERS": "2"})[:2] == ["-n", "2"]
    assert dev.pytest_args(["-m", "not fast"], {"PYTEST_WORKERS": "1"}, cpus=2)[:2] == ["-n", "1"]


def test_every_fast_test_lives_in_tests_fast() -> None:
    """`dev.py test -m fast` collects only tests/fast: a fast test elsewhere would silently never run there."""
    marked = re.compile(r"\bmark\.fast\b")
    elsewhere = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("*.py")
        if "fast" not in path.relative_to(ROOT / "tests").parts[:1] and marked.search(path.read_text())
    ]
    assert elsewhere == []
    unmarked = [
        path.name for path in (ROOT / "tests" / "fast").glob("test_*.py") if not marked.search(path.read_text())
    ]
    assert unmarked == []
