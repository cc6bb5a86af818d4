"""The `/rollback` slash command: parse, check where it is used, decide the reply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.catalog import Catalog, EnvironmentPolicy
from bot.domain.facts import Facts
from bot.domain.freeze import Freeze
from bot.domain.readiness import ChecklistReport
from bot.domain.releases import Release
from bot.domain.rollback_requests import RequestStatus, RollbackRequest
from bot.domain.slash_command import Command, SubCommand, parse_command
from bot.errors import UsageError
from bot.services import Deps, rollbacks
from bot.services.checklist_runs import run_checklist
from bot.services.deploy.freezes import freeze_from_slack, unfreeze_from_slack
from bot.services.drills import start_drill
from bot.services.execution import start_execution
from bot.services.flow import FlowStart, start_flow
from bot.services.live import live_state
from bot.services.releases import releases_of


@dataclass(frozen=True)
class Usage:
    """Reply: the usage message, optionally with a lead line (e.g. why the input was not understood)."""

    catalog: Catalog
    lead: str | None = None


@dataclass(frozen=True)
class Status:
    """Reply: live state of one service/environment and its in-flight request."""

    policy: EnvironmentPolicy
    live: tuple[Facts, ...]
    in_flight: RollbackRequest | None
    freeze: Freeze | None = None


@dataclass(frozen=True)
class History:
    """Reply: recent requests for one service/environment."""

    policy: EnvironmentPolicy
    requests: tuple[RollbackRequest, ...]


@dataclass(frozen=True)
class Releases:
    """Reply: recorded releases of one service/environment, newest first."""

    policy: EnvironmentPolicy
    releases: tuple[Release, ...]


@dataclass(frozen=True)
class Notice:
    """Reply: one sentence."""

    text: str


@dataclass(frozen=True)
class ChecklistNow:
    """Reply: a checklist just run."""

    report: ChecklistReport


CommandReply = Usage | FlowStart | Status | History | Releases | Notice | ChecklistNow


def handle_rollback_command(deps: Deps, *, user_id: str, channel_id: str, text: str) -> CommandReply:
    """Answer `/rollback TEXT` typed by ``user_id`` in ``channel_id``; input it cannot use gets the usage."""
    deps.metrics.count("slash_commands", subcommand=_subcommand_label(text))
    try:
        return _dispatch(deps, user_id=user_id, channel_id=channel_id, command=parse_command(text, deps.kinds))
    except UsageError as exc:
        return Usage(deps.catalog, lead=exc.user_message)


def _dispatch(deps: Deps, *, user_id: str, channel_id: str, command: Command) -> CommandReply:
    if command.sub is SubCommand.help:
        return Usage(deps.catalog)
    if command.sub is SubCommand.start:
        return start_flow(
            deps, user_id=user_id, channel_id=channel_id, service=command.service, environment=command.environment
        )
    if command.sub is SubCommand.cancel:
        request = rollbacks.cancel(deps, request_id=command.request_id or 0, user_id=user_id)
        return Notice(f"Request #{request.id} is cancelled.")
    if command.sub is SubCommand.freeze:
        frozen = freeze_from_slack(
            deps,
            user_id=user_id,
            channel_id=channel_id,
            service=command.service or "",
            environment=command.environment or "",
            duration=command.duration or "",
            reason=command.reason or "",
        )
        return Notice(f"Deploys to {frozen.target} are frozen until {frozen.until:%Y-%m-%d %H:%M} UTC: {frozen.reason}")
    if command.sub is SubCommand.unfreeze:
        ended = unfreeze_from_slack(
            deps, user_id=user_id, service=command.service or "", environment=command.environment or ""
        )
        target = deps.catalog.resolve(command.service, command.environment).target
        return Notice(f"Deploys to {target} are no longer frozen." if ended else f"{target} was not frozen.")
    start = start_flow(
        deps, user_id=user_id, channel_id=channel_id, service=command.service, environment=command.environment
    )
    return _for_target(deps, command=command, policy=start.options[0], user_id=user_id, channel_id=channel_id)


def _for_target(
    deps: Deps, *, command: Command, policy: EnvironmentPolicy, user_id: str, channel_id: str
) -> CommandReply:
    """status, history, releases, checklist and drill: sub-commands about one service/environment."""
    if command.sub is SubCommand.status:
        return status(deps, policy)
    if command.sub is SubCommand.history:
        return History(policy, tuple(deps.requests.list_recent(target=policy.target, limit=20)))
    if command.sub is SubCommand.releases:
        return Releases(policy, tuple(releases_of(deps, policy.target)))
    if command.sub is SubCommand.checklist:
        return ChecklistNow(run_checklist(deps, target=policy.target, trigger="slack").report)
    return _drill(deps, policy=policy, command=command, user_id=user_id, channel_id=channel_id)


def _drill(deps: Deps, *, policy: EnvironmentPolicy, command: Command, user_id: str, channel_id: str) -> Notice:
    """A drill holds the target's slot like a rollback: it waits for a second person, or (where the
    environment allows that, and only for its approvers) starts at once in the background."""
    request = start_drill(deps, target=policy.target, kind=command.kind, requester_id=user_id, channel_id=channel_id)
    if request.status is RequestStatus.pending:
        return Notice(f"Drill request #{request.id} is posted; it runs when a second person approves it.")
    start_execution(deps, request.id)
    return Notice(f"Drill #{request.id} on {policy.target} ({request.kind}) started; its card shows how it goes.")


def status(deps: Deps, policy: EnvironmentPolicy) -> Status:
    """Live state of every configured component, and the in-flight request."""
    live = live_state(deps, policy.target)
    frozen = deps.freezes.active(policy.target) if deps.freezes is not None else None
    return Status(policy, tuple(live), deps.requests.find_in_flight(policy.target), frozen)


def _subcommand_label(text: str) -> str:
    words: Sequence[str] = text.split()
    head = words[0].lower() if words else "start"
    return head if head in {s.value for s in SubCommand} else "other"
