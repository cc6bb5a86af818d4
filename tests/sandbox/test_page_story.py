"""The issue's acceptance story, through the page only, in Chromium: a fresh sandbox per story.

alice types /rollback, walks the modal (emergency, then what changed), submits; the card appears; her own
Approve is refused with the reason shown to her only; bob switches in and approves; the card ends
Succeeded and the side panel shows the rollback landed. A screenshot of the end goes to artifacts/.
"""

from __future__ import annotations

from typing import Any

from sandbox.app import Sandbox
from tests.sandbox.conftest import ARTIFACTS, playwright_expect

expect = playwright_expect()


def _open(page: Any, sandbox: Sandbox) -> None:
    page.goto(sandbox.url)
    expect(page.locator('[data-person="U0ALICE"]')).to_have_class("person on")
    expect(page.locator("#me")).to_contain_text("responder")


def _switch(page: Any, user: str, role: str) -> None:
    page.click(f'[data-person="{user}"]')
    expect(page.locator("#me")).to_contain_text(role)


def _modal(page: Any, callback_id: str) -> Any:
    modal = page.locator(f'.bk-modal[data-callback-id="{callback_id}"]')
    expect(modal).to_be_visible()
    return modal


def _choose(page: Any, block_id: str, value: str) -> None:
    """Click the radio button labelled for ``value`` in the input block ``block_id``."""
    block = page.locator(f'[data-block-id="{block_id}"]')
    block.locator("label").filter(has=page.locator(f'input[value="{value}"]')).click()


def _walk_modal(page: Any, kind: str, reason: str, expect_in_plan: str) -> None:
    page.click('[data-testid="composer"]')
    page.keyboard.type("/rollback")
    expect(page.locator("#hints")).to_contain_text("/rollback status")
    page.keyboard.press("Enter")
    modal = _modal(page, "rollback-flow-target")
    modal.locator('[data-block-id="rollback-target"] select').select_option("pharmabot/prod")
    _choose(page, "rollback-emergency", "yes")
    modal.locator(".bk-modal-submit").click()
    modal = _modal(page, "rollback-flow-kind")
    expect(modal).to_contain_text("What changed in the last 24 h?")
    _choose(page, "rollback-kind", kind)
    modal.locator(".bk-modal-submit").click()
    modal = _modal(page, "rollback-flow-plan")
    expect(modal).to_contain_text(expect_in_plan)
    modal.locator('[data-block-id="rollback-reason"] textarea').fill(reason)
    modal.locator(".bk-modal-submit").click()
    expect(page.locator("#modal-overlay")).to_be_hidden()  # the last step closes the modal
    confirmation = page.locator(".msg-ephemeral", has_text="is posted")
    expect(confirmation).to_contain_text("open the card")
    expect(confirmation).to_contain_text("Only visible to you")


def _approve(page: Any, card: Any) -> None:
    card.get_by_role("button", name="Approve", exact=True).click()
    dialog = page.locator(".bk-confirm")
    expect(dialog).to_contain_text("Approve this rollback?")
    dialog.get_by_role("button", name="Approve and run").click()


def _two_person_approval(page: Any) -> Any:
    card = page.locator(".msg", has=page.locator(".bk-header", has_text="Rollback #1"))
    expect(card).to_contain_text("Waiting for approval")
    expect(card).to_contain_text("@sre-approvers")
    _approve(page, card)
    refusal = page.locator(".msg-ephemeral", has_text="two-person rule")
    expect(refusal).to_contain_text("Only visible to you")
    expect(refusal).to_contain_text("Rollback Bot")
    _switch(page, "U0BOB", "approver")
    expect(page.locator(".msg-ephemeral", has_text="two-person rule")).to_have_count(0)
    _approve(page, card)
    expect(card).to_contain_text("Succeeded", timeout=20_000)
    expect(card.locator(".bk-actions")).to_have_count(0)
    return card


def test_code_rollback_story(sandbox: Sandbox, browser_page: Any) -> None:
    page = browser_page
    _open(page, sandbox)
    expect(page.locator('[data-testid="traffic-v2"]')).to_have_text("100 %")
    _walk_modal(page, "code", "v2 answers 500 on every drug question", "pharmabot-prod--v1=100 pharmabot-prod--v2=0")
    card = _two_person_approval(page)
    expect(page.locator('[data-testid="traffic-v1"]')).to_have_text("100 %")
    expect(page.locator('[data-testid="traffic-v2"]')).to_have_text("0 %")
    card.locator(".msg-replies").click()
    expect(page.locator("#thread")).to_contain_text("Rollback verified")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sandbox-code-final.png"), animations="disabled")


def test_prompt_rollback_story(sandbox: Sandbox, browser_page: Any) -> None:
    page = browser_page
    _open(page, sandbox)
    expect(page.locator('[data-testid="prompt-active"]')).to_have_text("v4")
    _walk_modal(page, "prompt", "v4 drops the dosage disclaimer", "drug_info v3 active")
    _two_person_approval(page)
    expect(page.locator('[data-testid="prompt-active"]')).to_have_text("v3")
    expect(page.locator('[data-testid="traffic-v2"]')).to_have_text("100 %")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sandbox-prompt-final.png"), animations="disabled")


def test_break_something_then_roll_it_back(sandbox: Sandbox, browser_page: Any) -> None:
    page = browser_page
    _open(page, sandbox)
    page.click('[data-env="staging"]')
    page.click('[data-testid="break-revision"]')
    expect(page.locator('[data-testid="traffic-v3"]')).to_have_text("100 %")
    page.click('[data-testid="break-prompt"]')
    expect(page.locator('[data-testid="prompt-active"]')).to_have_text("v5")
    page.click('[data-env="prod"]')
    expect(page.locator('[data-testid="prompt-active"]')).to_have_text("v4")
    page.click('[data-testid="nav-home"]')
    expect(page.locator('[data-testid="home"]')).to_contain_text("pharmabot/staging")
    expect(page.locator('[data-testid="home"]')).to_contain_text("pharmabot-staging--v3")


def test_break_something_then_a_drill_whose_verify_fails_leaves_the_estate_as_it_was(
    sandbox: Sandbox, browser_page: Any
) -> None:
    page = browser_page
    _open(page, sandbox)
    page.click('[data-testid="break-way-back"]')  # prod: v1, where a rollback would go, now fails its health check
    v1 = page.locator('.es-rev[data-revision="v1"]')
    expect(v1).to_contain_text("unhealthy")
    expect(page.locator('[data-testid="traffic-v2"]')).to_have_text("100 %")
    page.click('[data-testid="composer"]')
    page.keyboard.type("/rollback drill pharmabot prod code")
    page.keyboard.press("Enter")
    card = page.locator(".msg", has=page.locator(".bk-header", has_text="Drill #1"))
    expect(card).to_contain_text("Waiting for approval")  # prod: drills follow the two-person rule
    _switch(page, "U0BOB", "approver")
    _approve(page, card)
    expect(card).to_contain_text("Failed", timeout=30_000)
    expect(card).to_contain_text("health check")
    expect(page.locator('[data-testid="traffic-v2"]')).to_have_text("100 %")  # back where it started
    expect(page.locator('[data-testid="traffic-v1"]')).to_have_text("0 %")
    card.locator(".msg-replies").click()
    expect(page.locator("#thread")).to_contain_text("Drill failed")
    expect(page.locator("#thread")).to_contain_text("verify restore")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sandbox-drill-verify-failed-restored.png"), animations="disabled")


def test_everything_back_to_the_good_release_story(sandbox: Sandbox, browser_page: Any) -> None:
    page = browser_page
    _open(page, sandbox)
    page.click('[data-testid="break-release"]')
    expect(page.locator('[data-testid="traffic-v3"]')).to_have_text("100 %")
    expect(page.locator('[data-testid="prompt-active"]')).to_have_text("v5")
    expect(page.locator('[data-testid="model-version"]')).to_have_text("2024-11-20")
    _walk_modal(page, "release", "1.6 broke answers, prompt and model at once", "Back to release #1")
    _two_person_approval(page)
    expect(page.locator('[data-testid="traffic-v1"]')).to_have_text("100 %")
    expect(page.locator('[data-testid="prompt-active"]')).to_have_text("v3")
    expect(page.locator('[data-testid="model-version"]')).to_have_text("2024-05-13")
    expect(page.locator('[data-testid="alias-target"]')).to_have_text("drugs-v1")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sandbox-release-final.png"), animations="disabled")


def test_a_bad_deploy_is_rolled_back_automatically_and_the_page_shows_it_live(
    sandbox: Sandbox, browser_page: Any
) -> None:
    page = browser_page
    _open(page, sandbox)
    page.click('[data-env="staging"]')
    expect(page.locator('[data-testid="traffic-v2"]')).to_have_text("100 %")
    page.click('[data-testid="deploy-bad"]')
    message = page.locator(".msg", has=page.locator(".bk-header", has_text="Deploy #1: pharmabot/staging"))
    expect(message).to_contain_text("pharmabot-staging--v3")
    expect(message).to_contain_text("rolled back", timeout=40_000)
    expect(message).to_contain_text("answered 503")
    expect(message.get_by_role("button", name="Abort deploy")).to_have_count(0)  # finished: no button
    expect(page.locator('[data-testid="traffic-v3"]')).to_have_text("0 %")
    expect(page.locator('[data-testid="traffic-v2"]')).to_have_text("100 %")
    page.screenshot(path=str(ARTIFACTS / "sandbox-deploy-rolled-back.png"), animations="disabled")


def test_schema_down_migration_story(sandbox: Sandbox, browser_page: Any) -> None:
    page = browser_page
    _open(page, sandbox)
    expect(page.locator('[data-testid="migration-head"]').first).to_have_text("5b1e0c2f7a91")
    _walk_modal(page, "schema", "1.5.0's migration broke the interactions table", "alembic downgrade 3f9d2a4c8e10")
    card = _two_person_approval(page)
    expect(page.locator('[data-testid="migration-head"]').first).to_have_text("3f9d2a4c8e10")
    card.locator(".msg-replies").click()
    expect(page.locator("#thread")).to_contain_text("migration head is 3f9d2a4c8e10")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sandbox-schema-final.png"), animations="disabled")
