"""Block Kit builders: pure functions from domain values to validated Block Kit dicts."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, SectionBlock

from bot.domain.catalog import Catalog
from bot.domain.facts import Facts
from bot.domain.rollback_requests import RollbackRequest
from bot.slack.facts import facts_text
from bot.slack.ids import SlackId
from bot.slack.mrkdwn import CONTEXT_TEXT, HEADER_TEXT, escape, md, plain, render
from bot.text import Text

MAX_MESSAGE_BLOCKS = 50

SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    ("/rollback [SERVICE [ENV]]", "start a guided rollback in this incident channel"),
    ("/rollback status SERVICE [ENV]", "live state and open requests"),
    ("/rollback checklist SERVICE [ENV]", "run the pre-deploy checklist now"),
    ("/rollback drill SERVICE [ENV] [KIND]", "practise a rollback and its roll-forward"),
    ("/rollback history SERVICE [ENV]", "recent rollbacks and decisions"),
    ("/rollback releases SERVICE [ENV]", "recorded releases (every layer), newest first: good, bad or unknown"),
    ("/rollback cancel REQUEST_ID", "cancel your pending request"),
    ("/rollback freeze SERVICE ENV DURATION REASON…", "stop deploys (90m, 2h, 1d); rollbacks are never blocked"),
    ("/rollback unfreeze SERVICE ENV", "end a freeze (an approver, or whoever froze)"),
    ("/rollback help", "this message"),
)


def to_dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """Serialize (and thereby validate) blocks; refuse more than Slack allows in a message."""
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks; Slack allows {MAX_MESSAGE_BLOCKS} per message")
    return [b.to_dict() for b in blocks]


def _catalog_lines(catalog: Catalog) -> str:
    if not catalog.environments:
        return "_No services are configured yet._ Add them to the configuration file (see `rollback-bot config check`)."
    lines = []
    for service in catalog.services():
        envs = ", ".join(f"`{escape(p.target.environment)}`" for p in catalog.environments_of(service))
        lines.append(f"• *{escape(service)}*: {envs}")
    return "\n".join(lines)


@functools.lru_cache(maxsize=64)
def build_usage(catalog: Catalog, lead: str | None = None) -> list[dict[str, Any]]:
    """The `/rollback help` message: sub-commands and the configured services/environments.

    Cached: it depends only on the (immutable) catalog and the lead, and it is the hottest reply.
    Callers must not mutate the returned list.
    """
    blocks: list[Block] = []
    if lead:
        blocks.append(SectionBlock(text=md(f":warning: {escape(lead)}")))
    blocks.append(HeaderBlock(block_id=SlackId.usage_header, text="Rollback Bot: usage"))
    usage = "\n".join(f"`{cmd}`: {what}" for cmd, what in SUBCOMMANDS)
    blocks.append(SectionBlock(text=md(usage)))
    blocks.append(DividerBlock())
    blocks.append(SectionBlock(text=md("*Configured services*\n" + _catalog_lines(catalog))))
    blocks.append(
        ContextBlock(elements=[md("A rollback runs only after a second person approves it. Everything is audited.")])
    )
    return to_dicts(blocks)


def build_notice(text: Text | str, *, emoji: str = ":no_entry:") -> list[dict[str, Any]]:
    """A one-section notice (refusals, errors, not-yet-available); the text is rendered (escaped) here."""
    return to_dicts([SectionBlock(text=md(f"{emoji} {render(text)}"))])


def build_status(target: str, live: Sequence[Facts], in_flight: RollbackRequest | None) -> list[dict[str, Any]]:
    """`/rollback status`: live state (one section per configured kind) and the in-flight request."""
    blocks: list[Block] = [HeaderBlock(text=plain(f"Status: {target}", HEADER_TEXT))]
    sections = [SectionBlock(text=md(facts_text(f))) for f in live[: MAX_MESSAGE_BLOCKS - 2]]
    blocks += sections or [SectionBlock(text=md("_Nothing configured to read._"))]
    if in_flight:
        text = f"In flight: request *#{in_flight.id}* ({escape(in_flight.kind)}, {in_flight.status.value})"
    else:
        text = "No rollback in flight."
    blocks.append(ContextBlock(elements=[md(text, CONTEXT_TEXT)]))
    return to_dicts(blocks)
