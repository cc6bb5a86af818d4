"""A fresh sandbox per test (port 0, its own state folder), and Chromium for the page tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.app import Sandbox
from tests.sandbox.client import PageClient

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRE_BROWSER = os.environ.get("ROLLBACK_BOT_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    running = Sandbox.start(tmp_path / "state", port=0)
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def page_api(sandbox: Sandbox) -> PageClient:
    return PageClient(sandbox.url)


def playwright_expect() -> Any:
    """Playwright's ``expect``: a missing package skips the module, or fails it when the browser is required."""
    if REQUIRE_BROWSER:
        from playwright.sync_api import expect

        return expect
    return pytest.importorskip("playwright.sync_api", reason="the playwright package is missing").expect


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the page tests"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: pip install -e '.[test]'"
    return None


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser), with a fresh profile."""
    reason = _browser_missing()
    if reason:
        if REQUIRE_BROWSER:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1440, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def browser_page(chromium: Any) -> Iterator[Any]:
    """A new tab; fails the test on any JavaScript error of the page."""
    page = chromium.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(15_000)
    try:
        yield page
        assert not errors, f"JavaScript errors on the page: {errors}"
    finally:
        page.close()
