"""The page by role and accessible name alone (as a screen reader or a keyboard user reaches it), in Chromium.

The two-person story is walked with Playwright's role queries only: no CSS selector, no test id. At each step
every control on the page has an accessible name (read from the accessibility tree); the person switcher says
who is selected (``aria-pressed``); a reload keeps the person, closes the dialog and drops the messages only
that person could see, as Slack does.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.app import Sandbox
from tests.sandbox.conftest import playwright_expect

expect = playwright_expect()

CONTROLS = ("button", "combobox", "textbox", "radio", "checkbox", "link", "listbox")
UNNAMED = re.compile(rf"^\s*- ({'|'.join(CONTROLS)})(?: \[[^\]]*\])?:?\s*$")


def assert_every_control_named(page: Any) -> None:
    """No control in the accessibility tree without a name (``- button`` instead of ``- button "Approve"``)."""
    tree = page.locator("body").aria_snapshot()
    unnamed = [line.strip() for line in tree.splitlines() if UNNAMED.match(line)]
    assert not unnamed, f"controls without an accessible name: {unnamed}"


def _person(page: Any, name: str) -> Any:
    return page.get_by_role("group", name="You are").get_by_role("button", name=re.compile(rf"^{name},"))


def _approve(page: Any) -> None:
    page.get_by_role("button", name="Approve", exact=True).click()
    confirm = page.get_by_role("alertdialog", name="Approve this rollback?")
    confirm.get_by_role("button", name="Approve and run").click()
    expect(confirm).to_be_hidden()


def _rollback_command(page: Any) -> Any:
    composer = page.get_by_role("textbox", name="Message #inc-pharmabot")
    composer.fill("/rollback")
    page.get_by_role("button", name="Send").click()
    dialog = page.get_by_role("dialog", name="Rollback")
    expect(dialog).to_be_visible()
    return dialog


def test_the_two_person_story_by_role_and_accessible_name_alone(sandbox: Sandbox, browser_page: Any) -> None:
    page = browser_page
    page.goto(sandbox.url)
    expect(_person(page, "alice")).to_have_attribute("aria-pressed", "true")
    expect(_person(page, "bob")).to_have_attribute("aria-pressed", "false")
    assert_every_control_named(page)

    dialog = _rollback_command(page)
    dialog.get_by_role("combobox", name="Service / environment").select_option("pharmabot/prod")
    emergency = dialog.get_by_role("radiogroup", name="Is it a production emergency?")
    emergency.get_by_role("radio", name=re.compile("^Yes: roll back now")).check()
    assert_every_control_named(page)
    dialog.get_by_role("button", name="Next").click()

    kinds = dialog.get_by_role("radiogroup", name="Roll back which kind of change?")
    expect(kinds.get_by_role("radio", name=re.compile("^code"))).to_be_checked()  # the likely culprit, and why:
    expect(dialog).to_contain_text("Likely culprit: code")
    assert_every_control_named(page)
    dialog.get_by_role("button", name="Preview plan").click()

    dialog.get_by_role("textbox", name="Why roll back?").fill("v2 answers 500 on every drug question")
    assert_every_control_named(page)
    dialog.get_by_role("button", name="Request approval").click()
    expect(dialog).to_be_hidden()  # the last step closes the modal
    expect(page.get_by_role("link", name="open the card")).to_be_visible()  # the private confirmation links it
    expect(page.get_by_role("button", name="Cancel my request")).to_be_visible()
    assert_every_control_named(page)

    _approve(page)  # alice's own: refused, privately
    expect(page.get_by_text("two-person rule")).to_be_visible()

    _person(page, "bob").click()
    expect(_person(page, "bob")).to_have_attribute("aria-pressed", "true")
    expect(_person(page, "alice")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("button", name="Cancel my request")).to_have_count(0)  # the requester's only
    _approve(page)
    expect(page.get_by_text(re.compile(r"^Succeeded in"))).to_be_visible(timeout=20_000)
    page.get_by_role("button", name=re.compile(r"^\d+ repl(y|ies)")).first.click()
    thread = page.get_by_role("complementary").filter(has=page.get_by_role("heading", name="Thread"))
    expect(thread).to_contain_text("Rollback verified")
    assert_every_control_named(page)
    thread.get_by_role("button", name="Close thread").click()

    page.get_by_role("button", name="Rollback Bot").click()  # App Home
    expect(page.get_by_role("button", name="Rollback Bot")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("Rollback readiness")).to_be_visible(timeout=20_000)
    assert_every_control_named(page)
    page.get_by_role("button", name="inc-pharmabot").click()

    page.get_by_role("button", name="prod", exact=True).click()
    expect(page.get_by_role("button", name="prod", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="staging", exact=True)).to_have_attribute("aria-pressed", "false")


def test_a_reload_keeps_the_person_and_drops_the_dialog_and_private_messages(
    sandbox: Sandbox, browser_page: Any
) -> None:
    page = browser_page
    page.goto(sandbox.url)
    _person(page, "carol").click()
    expect(_person(page, "carol")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("textbox", name="Message #inc-pharmabot").fill("/rollback help")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Only visible to you")).to_be_visible()
    _rollback_command(page)

    page.goto(sandbox.url)  # a fresh load of the page (no person in the address): the person is remembered
    expect(_person(page, "carol")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_text("Only visible to you")).to_have_count(0)

    dialog = _rollback_command(page)
    dialog.get_by_role("button", name="Close this dialog").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
