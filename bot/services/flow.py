"""The guided flow: where may this run, what changed, what is the plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.domain import approval
from bot.domain.catalog import EnvironmentPolicy
from bot.domain.facts import Facts
from bot.domain.kinds import KindName
from bot.domain.plan import ChangeEvent, Plan, is_digest_key
from bot.domain.rollback_requests import ServiceEnv
from bot.domain.tree import FlowState
from bot.errors import NotIncidentChannelError, RollbackBotError, UsageError
from bot.kinds import BoundEnvironment, BoundKind
from bot.services import Deps
from bot.services.audit import audited
from bot.services.culprit import find_culprit
from bot.services.live import live_state
from bot.text import Mention, Text

TIMELINE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class FlowStart:
    """The first step: the environments usable in this channel, and the state preselected from the command."""

    state: FlowState
    options: tuple[EnvironmentPolicy, ...]


@dataclass(frozen=True)
class KindOption:
    """One answer to 'what changed?' (``label``: how it reads, e.g. 'everything back to release #7')."""

    kind: KindName
    executable: bool
    note: str
    label: str = ""
    preferred: bool = False


@dataclass(frozen=True)
class WhatChanged:
    """The timeline of recent changes and the kinds to choose from, the likely culprit first and why (``reason``,
    one line; empty when nothing is preselected)."""

    state: FlowState
    events: tuple[ChangeEvent, ...]
    options: tuple[KindOption, ...]
    recommended: KindName | None
    errors: tuple[str, ...]
    reason: str = ""


@dataclass(frozen=True)
class Investigation:
    """Not an emergency: what to look at before deciding to roll back."""

    state: FlowState
    events: tuple[ChangeEvent, ...]
    live: tuple[Facts, ...]
    errors: tuple[str, ...] = ()


def _refuse_channel(policies: list[EnvironmentPolicy]) -> NotIncidentChannelError:
    where: list[str] = []
    mentions: dict[str, Mention] = {}
    for p in policies:
        names = []
        for channel in p.incident_channels:
            if channel.startswith("#"):
                names.append(channel.replace("{", "{{").replace("}", "}}"))
            else:
                key = f"c{len(mentions)}"
                mentions[key] = Mention.channel(channel)
                names.append("{" + key + "}")
        where.append(f"{p.target}: {', '.join(names) or 'none configured'}")
    text = "`/rollback` can only be used in an incident channel. " + "; ".join(where)
    return NotIncidentChannelError(Text.of(text, **mentions) if mentions else text)


def usable_here(deps: Deps, *, channel_id: str) -> list[EnvironmentPolicy]:
    """Environments whose incident channels include ``channel_id`` (a '#pattern' only where the bot is a member)."""
    channel = deps.directory.channel(channel_id) if deps.catalog.needs_channel_names else None
    return deps.catalog.allowed_here(channel_id, channel.name if channel is not None and channel.is_member else None)


def ensure_member(deps: Deps, user_id: str) -> None:
    """The person is a full member of the workspace that installed the bot (requesters are checked too)."""
    approval.ensure_member(deps.directory.user(user_id), deps.directory.workspace_id())


def start_flow(deps: Deps, *, user_id: str, channel_id: str, service: str | None, environment: str | None) -> FlowStart:
    """Check the channel and preselect the service/environment (from the command, or the only one usable here)."""

    def check() -> FlowStart:
        ensure_member(deps, user_id)
        if service is not None:
            policy = deps.catalog.resolve(service, environment)
            if policy not in usable_here(deps, channel_id=channel_id):
                raise _refuse_channel([policy])
            options: tuple[EnvironmentPolicy, ...] = (policy,)
        else:
            options = tuple(usable_here(deps, channel_id=channel_id))
            if not options:
                raise _refuse_channel(list(deps.catalog.environments))
        only = options[0].target if len(options) == 1 else None
        state = FlowState(channel_id, only.service if only else None, only.environment if only else None)
        return FlowStart(state=state, options=options)

    return audited(deps, actor=user_id, request_id=None, action="start", check=check)


def check_target(deps: Deps, state: FlowState) -> EnvironmentPolicy:
    """The chosen service/environment must exist and be usable in the flow's channel."""
    policy = deps.catalog.resolve(state.service, state.environment)
    if policy not in usable_here(deps, channel_id=state.channel_id):
        raise _refuse_channel([policy])
    return policy


def _environment(deps: Deps, state: FlowState) -> BoundEnvironment:
    return deps.environment(ServiceEnv(state.service or "", state.environment or ""))


def _timeline(deps: Deps, env: BoundEnvironment) -> tuple[list[ChangeEvent], list[str]]:
    since = deps.clock() - TIMELINE_WINDOW
    events: list[ChangeEvent] = []
    errors: list[str] = []
    for kind, bound in env.kinds.items():
        try:
            events.extend(bound.changes(since=since))
        except RollbackBotError as exc:
            errors.append(f"{kind}: {exc.user_message}")
    return sorted(events, key=lambda e: e.at, reverse=True), errors


def _option(kind: KindName, bound: BoundKind[Any]) -> KindOption:
    """How one bound kind is offered: by its own offer, else by name (planned-only kinds say so)."""
    try:
        offer = bound.offer()
    except RollbackBotError as exc:
        return KindOption(kind, False, f"unavailable: {exc.user_message}", kind)
    if offer is None:
        runs = bound.executes
        return KindOption(kind, runs, "" if runs else "planned only: the plan gives the commands", kind)
    return KindOption(kind, offer.executable and bound.executes, offer.note, offer.label, offer.preferred)


def what_changed(deps: Deps, state: FlowState) -> WhatChanged:
    """The 'what changed?' step: a 24 h timeline across kinds; preselected, a kind that asks to be (everything back
    to the last good release when several layers differ from it), else the culprit the evidence points at (the
    change right before the error onset, else the most recent change to a failing layer), else none."""
    check_target(deps, state)
    env = _environment(deps, state)
    events, errors = _timeline(deps, env)
    options = []
    for kind in deps.kinds:
        if kind in env.kinds:
            options.append(_option(kind, env.kinds[kind]))
        elif kind in env.problems:
            options.append(KindOption(kind, False, f"configured but unavailable: {env.problems[kind]}", kind))
    recommended, reason = _recommend(deps, env, events, options, errors)
    options.sort(key=lambda o: (o.kind != recommended, not o.executable))
    return WhatChanged(state, tuple(events), tuple(options), recommended, tuple(errors), reason)


def _recommend(
    deps: Deps, env: BoundEnvironment, events: list[ChangeEvent], options: list[KindOption], errors: list[str]
) -> tuple[KindName | None, str]:
    """The option to preselect and why: the kind the evidence points at; a kind that asks to be (everything back
    to a release when several layers differ from it) when the evidence points at several layers changed in one
    moment, or points nowhere; else none."""
    preferred = next((o for o in options if o.preferred and o.executable), None)
    now = deps.clock()
    found = find_culprit(env, events, since=now - TIMELINE_WINDOW, now=now)
    errors.extend(found.problems)
    culprit = found.culprit
    if preferred is not None and (culprit is None or culprit.several):
        if culprit is None:
            return preferred.kind, preferred.note
        together = ", ".join(culprit.together)
        return preferred.kind, f"{culprit.reason}, with {together} in the same deploy; {preferred.note}"
    if culprit is not None and culprit.kind in {o.kind for o in options if o.executable}:
        return culprit.kind, culprit.reason
    return None, ""


def investigate(deps: Deps, state: FlowState) -> Investigation:
    """Not an emergency: the timeline and live state, to decide whether it is really a bad deploy."""
    check_target(deps, state)
    events, errors = _timeline(deps, _environment(deps, state))
    live = live_state(deps, ServiceEnv(state.service or "", state.environment or ""))
    return Investigation(state, tuple(events), tuple(live), tuple(errors))


def preview(deps: Deps, state: FlowState) -> Plan[Any]:
    """The plan for the chosen kind and target, built from live state.

    ``state.choice`` is a choice's value or its short key (``choice_key``: what the dialog carries for a long
    value); a key is looked up among the targets live state offers now.
    """
    check_target(deps, state)
    if state.kind is None:
        raise UsageError("Choose what changed first.")
    bound = _environment(deps, state).bound(state.kind)
    choice = state.choice
    if choice is not None and is_digest_key(choice):
        found = next((c.value for c in bound.plan().choices if c.key == choice), None)
        if found is None:
            raise UsageError("The chosen target is no longer offered; choose again.")
        choice = found
    return bound.plan(choice=choice)
