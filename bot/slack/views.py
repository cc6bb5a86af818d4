"""Block Kit for the guided-flow modal and the investigate-first message (pure, validated on build)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.catalog import EnvironmentPolicy
from bot.domain.facts import Facts
from bot.domain.plan import ChangeEvent, Plan, choice_key
from bot.domain.tree import FlowState
from bot.errors import UsageError
from bot.slack.blocks import to_dicts
from bot.slack.facts import live_text
from bot.slack.ids import SlackId
from bot.slack.mrkdwn import (
    BUTTON_VALUE,
    CONTEXT_TEXT,
    FIELD_TEXT,
    HEADER_TEXT,
    OPTION_DESCRIPTION,
    OPTION_TEXT,
    OPTION_VALUE,
    PRIVATE_METADATA,
    code,
    date,
    escape,
    md,
    mention,
    plain,
    render,
)
from bot.text import Mention, Text

TITLE = "Rollback"
SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,}")
MAX_EVENTS = 12


def _encoded(state: FlowState, limit: int) -> str:
    """The flow state for a view's private_metadata or a button's value (each has its own limit)."""
    encoded = state.encode()
    if len(encoded) > limit:
        raise UsageError("This dialog's choices are too long to carry on; start again with `/rollback`.")
    return encoded


def _option(value: str, text: str, description: str | None = None) -> Option:
    if len(value) > OPTION_VALUE:
        raise ValueError(f"option value of {len(value)} characters; Slack allows {OPTION_VALUE}")
    about = plain(description, OPTION_DESCRIPTION) if description else None
    return Option(value=value, text=plain(text, OPTION_TEXT), description=about)


def _modal(
    callback: SlackId, state: FlowState, blocks: Sequence[Block], submit: str | None, close: str = "Cancel"
) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=callback.value,
        title=PlainTextObject(text=TITLE),
        submit=PlainTextObject(text=submit) if submit else None,
        close=PlainTextObject(text=close),
        private_metadata=_encoded(state, PRIVATE_METADATA),
        blocks=list(blocks),
    )
    return view.to_dict()


def _target_line(state: FlowState) -> ContextBlock:
    mode = {True: "production emergency", False: "not an emergency"}.get(state.emergency or False, "")
    where = f"*{escape(f'{state.service}/{state.environment}')}*" if state.service else "choose a service"
    return ContextBlock(elements=[md(" · ".join(p for p in (where, mode) if p), CONTEXT_TEXT)])


def build_target_view(state: FlowState, options: Sequence[EnvironmentPolicy]) -> dict[str, Any]:
    """Step 1: which service/environment, and is it a production emergency?"""
    opts = [_option(str(p.target), str(p.target)) for p in options[:100]]
    initial = next((o for o in opts if o.value == f"{state.service}/{state.environment}"), None)
    yes = _option(
        "yes", "Yes: roll back now, investigate later", "data loss, a safety issue, or users harmed right now"
    )
    no = _option("no", "No: investigate first", "see what changed and the live state")
    blocks: list[Block] = [
        SectionBlock(
            text=md("*Bad deployment?* Answer two questions; nothing changes until a second person approves.")
        ),
        InputBlock(
            block_id=SlackId.target_block,
            label="Service / environment",
            element=StaticSelectElement(
                action_id=SlackId.target_select, options=opts, initial_option=initial, placeholder="Choose"
            ),
        ),
        InputBlock(
            block_id=SlackId.emergency_block,
            label="Is it a production emergency?",
            element=RadioButtonsElement(action_id=SlackId.emergency_radio, options=[yes, no]),
        ),
    ]
    return _modal(SlackId.flow_target_view, state, blocks, "Next")


def build_loading_view(state: FlowState, what: str = "Reading live state from Azure…") -> dict[str, Any]:
    """Shown at once while live state is read (the ack cannot wait for Azure)."""
    blocks: list[Block] = [_target_line(state), SectionBlock(text=md(f":hourglass_flowing_sand: {escape(what)}"))]
    return _modal(SlackId.flow_loading_view, state, blocks, None)


def _actor(actor: str | None) -> str:
    """Who made a change: a Slack user as a mention, anything else (``cli:bob``, the bot) as written."""
    if not actor:
        return ""
    return f" by {mention(Mention.user(actor))}" if SLACK_USER.fullmatch(actor) else f" by {escape(actor)}"


def _timeline_text(events: Sequence[ChangeEvent]) -> str:
    if not events:
        return "_No changes in the last 24 h._"
    lines = [f"{date(e.at)} *{escape(e.kind)}* · {escape(e.summary)}{_actor(e.actor)}" for e in events[:MAX_EVENTS]]
    if len(events) > MAX_EVENTS:
        lines.append(f"_…and {len(events) - MAX_EVENTS} earlier changes_")
    return "\n".join(lines)


def build_kind_view(
    state: FlowState,
    events: Sequence[ChangeEvent],
    options: Sequence[tuple[str, bool, str]],
    recommended: str | None,
    errors: Sequence[str] = (),
    *,
    labels: Mapping[str, str] | None = None,
    reason: str = "",
) -> dict[str, Any]:
    """Step 2: what changed? The timeline, the likely culprit preselected with why (``reason``, one line; nothing
    preselected without evidence), the kinds that cannot run from here said before the choice (so no note reads
    as an option's description). ``labels``: an option's text when it is not its kind's name, e.g. 'everything
    back to release #7'."""
    runnable = [
        _option(k, (labels or {}).get(k, k), note or ("likely culprit (why: above)" if k == recommended else None))
        for k, ok, note in options
        if ok
    ]
    blocks: list[Block] = [
        _target_line(state),
        SectionBlock(text=md("*What changed in the last 24 h?*\n" + _timeline_text(events))),
    ]
    blocks += [ContextBlock(elements=[md(f":warning: {escape(e)}", CONTEXT_TEXT)]) for e in errors[:5]]
    initial = next((o for o in runnable if o.value == recommended), None)
    if initial is not None:
        label = escape((labels or {}).get(str(recommended), str(recommended)))
        why = f": {escape(reason)}" if reason else ""
        blocks.append(ContextBlock(elements=[md(f":mag: *Likely culprit: {label}*{why}", CONTEXT_TEXT)]))
    elif runnable:
        blocks.append(
            ContextBlock(elements=[md("No evidence points at one change: choose what to roll back.", CONTEXT_TEXT)])
        )
    not_yet = [f"*{escape(k)}* ({escape(why)})" if why else f"*{escape(k)}*" for k, ok, why in options if not ok]
    if not_yet:
        note = f":information_source: Not offered here: {'; '.join(not_yet)}."
        blocks.append(ContextBlock(elements=[md(note, CONTEXT_TEXT)]))
    if runnable:
        blocks.append(
            InputBlock(
                block_id=SlackId.kind_block,
                label="Roll back which kind of change?",
                element=RadioButtonsElement(action_id=SlackId.kind_radio, options=runnable, initial_option=initial),
            )
        )
    return _modal(SlackId.flow_kind_view, state, blocks, "Preview plan" if runnable else None)


def build_plan_view(state: FlowState, plan: Plan[Any]) -> dict[str, Any]:
    """Step 3: current → target from live state, the equivalent command, what could go wrong, reason."""
    blocks: list[Block] = [
        _target_line(state),
        SectionBlock(
            fields=[
                md(f"*Now*\n{escape(plan.current_text)}", FIELD_TEXT),
                md(f"*After rollback*\n{escape(plan.desired_text)}", FIELD_TEXT),
            ]
        ),
    ]
    if plan.choices:
        opts = [_option(c.key, c.label) for c in plan.choices[:100]]
        initial = next((o for o in opts if o.value == choice_key(plan.choice)), None)
        select = StaticSelectElement(
            action_id=SlackId.choice_select, options=opts, initial_option=initial, placeholder="Roll back to"
        )
        # A plan that cannot run has no submit button, so its choice is an action (picking re-plans), not an input.
        blocks.append(
            InputBlock(block_id=SlackId.choice_block, label="Roll back to", dispatch_action=True, element=select)
            if plan.executable
            else ActionsBlock(block_id=SlackId.choice_block, elements=[select])
        )
    if plan.commands:
        blocks.append(SectionBlock(text=md("*Equivalent command*\n" + code(plan.commands, 2900))))
    if plan.note:
        blocks.append(ContextBlock(elements=[md(f":pushpin: {escape(plan.note)}", CONTEXT_TEXT)]))
    if plan.risks:
        risks = "\n".join(f"• {escape(r)}" for r in plan.risks)
        blocks.append(SectionBlock(text=md("*What could go wrong*\n" + risks)))
    if plan.roll_forward:
        blocks.append(SectionBlock(text=md("*Roll forward (undo) with*\n" + code(plan.roll_forward, 2900))))
    chosen = state.with_(choice=choice_key(plan.choice) if plan.choice else None)
    if not plan.executable:
        why = escape(plan.blocked_reason or "")
        blocks.append(SectionBlock(text=md(f":no_entry: *Cannot run this plan:* {why}")))
        return _modal(SlackId.flow_plan_view, chosen, blocks, None)
    blocks.append(
        InputBlock(
            block_id=SlackId.reason_block,
            label="Why roll back?",
            element=PlainTextInputElement(
                action_id=SlackId.reason_input,
                multiline=True,
                max_length=1000,
                placeholder="What users see, since when",
            ),
        )
    )
    return _modal(SlackId.flow_plan_view, chosen, blocks, "Request approval")


def build_investigation(
    state: FlowState, events: Sequence[ChangeEvent], live: Sequence[Facts], errors: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Not an emergency: what changed, live state, and a way to proceed to the rollback."""
    proceed = state.with_(investigated=True)
    blocks: list[Block] = [
        HeaderBlock(text=plain(f"Investigate first: {state.service}/{state.environment}", HEADER_TEXT)),
        SectionBlock(text=md("Is it actually a bad deploy? What changed and what is live now:")),
        SectionBlock(text=md("*Last 24 h*\n" + _timeline_text(events))),
        DividerBlock(),
        SectionBlock(text=md(live_text(live) or "_No live state available._")),
        *[ContextBlock(elements=[md(f":warning: {escape(e)}", CONTEXT_TEXT)]) for e in errors[:5]],
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Proceed to rollback",
                    action_id=SlackId.proceed,
                    value=_encoded(proceed, BUTTON_VALUE),
                    style="danger",
                )
            ]
        ),
    ]
    return to_dicts(blocks)


def build_error_view(text: Text | str) -> dict[str, Any]:
    """A modal page that explains why the flow stopped (replaces a loading page); the text is rendered here."""
    view = View(
        type="modal",
        callback_id=SlackId.flow_loading_view.value,
        title=PlainTextObject(text=TITLE),
        close=PlainTextObject(text="Close"),
        blocks=[SectionBlock(text=md(f":no_entry: {render(text)}"))],
    )
    return view.to_dict()
