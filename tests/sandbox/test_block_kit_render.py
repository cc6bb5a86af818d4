"""Every message and view the bot produces renders on the sandbox page with no "unknown element" placeholder.

Two sources: the representative output of every builder in ``bot/slack`` (the same collection the Block
Kit data tests check), and everything the running bot actually sent to the Slack fake during a short walk
through a sandbox (flow, refusals, approval, execution, thread, help, status, history, checklist, drill,
investigate-first, Home tab). Each is rendered by the page's own renderer in Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from bot.slack.ids import SlackId
from sandbox.app import Sandbox
from sandbox.demo import ALICE, BOB, CAROL
from tests.sandbox.client import PageClient, approve, selected, walk_to_card
from tests.test_block_kit import messages, modals

MESSAGE_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url")
VIEW_METHODS = ("views.open", "views.update", "views.push", "views.publish")
RENDER = """
([surfaces, dir]) => surfaces.map(([name, kind, payload]) => {
  const ctx = { dir, values: {}, errors: {}, onAction: () => {}, onChange: () => {}, confirm: null };
  const node = kind === "modal" ? BlockKit.renderModal(payload, ctx)
    : BlockKit.renderBlocks(kind === "home" ? payload.blocks : payload, ctx);
  document.body.append(node);
  const unknown = [...node.querySelectorAll(".bk-unknown")].map((e) => e.dataset.bkUnknown);
  const blocks = node.querySelectorAll(".bk-blocks > *").length;
  const result = { name, unknown, text: node.innerText, blocks };
  node.remove();
  return result;
})
"""
RAW_MARKUP = re.compile(r"<[@#!][^>]*>|:[a-z][a-z0-9_+-]*:")


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, list[tuple[str, str, Any]]]]:
    """A sandbox after a short walk, and every surface its bot sent: (name, kind, blocks or view)."""
    running = Sandbox.start(tmp_path_factory.mktemp("render") / "state", port=0)
    try:
        _walk(PageClient(running.url))
        yield running, _sent_surfaces(running)
    finally:
        running.close()


def _walk(page: PageClient) -> None:
    card = walk_to_card(page, "code", "v2 answers 500 on every drug question")
    approve(page, CAROL, card)
    approve(page, BOB, card)
    page.card(status="Succeeded")
    page.wait(lambda s: s["messages"][-1]["replies"], "the thread")
    for line in ("/rollback help", "/rollback status pharmabot", "/rollback history pharmabot", "/rollback nope"):
        page.act("/api/command", user=CAROL, text=line)
    page.act("/api/command", user=BOB, text="/rollback checklist pharmabot staging")
    page.act("/api/command", user=BOB, text="/rollback drill pharmabot staging code")
    page.act("/api/command", user=ALICE, text="/rollback pharmabot staging")
    view = page.wait_modal(SlackId.flow_target_view)
    page.act("/api/submit", user=ALICE, view_id=view["id"], values={})
    values = selected(SlackId.emergency_block, SlackId.emergency_radio, "no", "radio_buttons")
    page.act("/api/submit", user=ALICE, view_id=view["id"], values=values)
    page.wait(lambda s: "Investigate first" in str(s["ephemerals"]), "the investigation")
    page.act("/api/home", user=BOB)
    page.wait(lambda s: s["home"], "the Home tab", user=BOB)


def _sent_surfaces(running: Sandbox) -> list[tuple[str, str, Any]]:
    surfaces: list[tuple[str, str, Any]] = []
    for n, call in enumerate(running.stack.slack.calls):
        if call.method in MESSAGE_METHODS and call.body.get("blocks"):
            surfaces.append((f"sent-{n}-{call.method}", "message", call.body["blocks"]))
        elif call.method in VIEW_METHODS and isinstance(call.body.get("view"), dict):
            view = call.body["view"]
            surfaces.append((f"sent-{n}-{call.method}", "home" if view["type"] == "home" else "modal", view))
    return surfaces


def _built_surfaces() -> list[tuple[str, str, Any]]:
    built: list[tuple[str, str, Any]] = [(f"built-{k}", "message", v) for k, v in messages().items()]
    built += [(f"built-{k}", "home" if v["type"] == "home" else "modal", v) for k, v in modals().items()]
    return built


def _render(page: Any, running: Sandbox, surfaces: list[tuple[str, str, Any]]) -> list[dict[str, Any]]:
    page.goto(running.url)
    page.wait_for_function("window.BlockKit && window.Mrkdwn")
    directory = PageClient(running.url).state()["directory"]
    rendered: list[dict[str, Any]] = page.evaluate(RENDER, [surfaces, directory])
    return rendered


def test_every_surface_the_bot_produces_renders_without_unknown_elements(
    walked: tuple[Sandbox, list[tuple[str, str, Any]]], browser_page: Any
) -> None:
    running, sent = walked
    kinds = {kind for _, kind, _ in sent}
    assert kinds == {"message", "modal", "home"} and len(sent) > 20, [name for name, _, _ in sent]
    surfaces = _built_surfaces() + sent
    rendered = _render(browser_page, running, surfaces)
    assert len(rendered) == len(surfaces)
    unknown = {r["name"]: r["unknown"] for r in rendered if r["unknown"]}
    assert unknown == {}, f"unknown element placeholders: {unknown}"
    assert all(r["text"].strip() and r["blocks"] for r in rendered), [r["name"] for r in rendered if not r["text"]]
    raw = {r["name"]: RAW_MARKUP.findall(r["text"]) for r in rendered if RAW_MARKUP.search(r["text"])}
    assert raw == {}, f"mentions, dates or emoji left as raw markup: {raw}"


def test_unsupported_types_show_a_visible_placeholder(sandbox: Sandbox, browser_page: Any) -> None:
    blocks = [
        {"type": "video", "title": {"type": "plain_text", "text": "x"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "pick"}, "accessory": {"type": "users_select"}},
        {"type": "actions", "elements": [{"type": "workflow_button", "action_id": "w"}]},
        {"type": "context", "elements": [{"type": "fancy_text", "text": "?"}]},
        {"type": "divider"},
    ]
    rendered = _render(browser_page, sandbox, [("fake", "message", blocks)])[0]
    assert rendered["unknown"] == ["video", "users_select", "workflow_button", "fancy_text"]
    assert "[unknown block: video]" in rendered["text"]


def test_mrkdwn_formatting_mentions_dates_and_emoji(sandbox: Sandbox, browser_page: Any) -> None:
    browser_page.goto(sandbox.url)
    browser_page.wait_for_function("window.Mrkdwn")
    directory = PageClient(sandbox.url).state()["directory"]
    text = (
        "*bold* _italic_ ~gone~ `drug_info` <@U0BOB> <#C0INCIDENT> <!subteam^S0APPROVERS> <!here> "
        "<!date^1700000000^{date_num}|fallback> :rocket: :no_such_emoji: &lt;tag&gt; snake_case_name\n"
        "> quoted\n```SELECT 1;\n<@U0BOB>```"
    )
    html = browser_page.evaluate("([t, d]) => Mrkdwn.mrkdwn(t, d).innerHTML", [text, directory])
    for fragment in (
        "<b>bold</b>",
        "<i>italic</i>",
        "<s>gone</s>",
        '<code class="mk-code">drug_info</code>',
        '<span class="mk-mention">@bob</span>',
        "#inc-pharmabot",
        "@sre-approvers",
        "@here",
        "2023-11-14",
        "🚀",
        ":no_such_emoji:",
        "&lt;tag&gt;",
        "snake_case_name",
        '<blockquote class="mk-quote">quoted</blockquote>',
        '<pre class="mk-pre">SELECT 1;\n&lt;@U0BOB&gt;</pre>',
    ):
        assert fragment in html, (fragment, html)


def test_elements_the_bot_may_use_next_render_too(sandbox: Sandbox, browser_page: Any) -> None:
    option = {"text": {"type": "plain_text", "text": "one"}, "value": "1"}
    blocks = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "a"},
            "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "b"},
        },
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": "*x*"}],
            "accessory": {"type": "overflow", "options": [option], "action_id": "o"},
        },
        {
            "type": "section",
            "text": {"type": "plain_text", "text": "img"},
            "accessory": {"type": "image", "image_url": "https://example.com/a.png", "alt_text": "chart"},
        },
        {
            "type": "actions",
            "elements": [
                {"type": "static_select", "options": [option], "action_id": "s"},
                {"type": "checkboxes", "options": [option], "action_id": "c"},
                {"type": "datepicker", "action_id": "d"},
                {"type": "timepicker", "action_id": "t"},
            ],
        },
        {"type": "image", "image_url": "https://example.com/b.png", "alt_text": "graph"},
        {
            "type": "context",
            "elements": [
                {"type": "image", "image_url": "https://example.com/c.png", "alt_text": "icon"},
                {"type": "plain_text", "text": ":rocket: go"},
            ],
        },
        {
            "type": "input",
            "label": {"type": "plain_text", "text": "Name"},
            "optional": True,
            "hint": {"type": "plain_text", "text": "h"},
            "element": {"type": "plain_text_input", "action_id": "n"},
            "block_id": "n",
        },
    ]
    rendered = _render(browser_page, sandbox, [("more", "message", blocks)])[0]
    assert rendered["unknown"] == []
    assert "🚀 go" in rendered["text"] and "chart" in rendered["text"] and "(optional)" in rendered["text"]
