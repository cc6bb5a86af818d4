"""The `/rollback` slash command: parse, check where it is used, decide the reply."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.catalog import Catalog, EnvironmentPolicy
from bot.domain.commands import Command, SubCommand, parse_command
from bot.domain.model import AuditEvent
from bot.errors import NotIncidentChannelError, UsageError
from bot.services import Deps


@dataclass(frozen=True)
class Usage:
    """Reply: the usage message, optionally with a lead line (e.g. why the input was not understood)."""

    catalog: Catalog
    lead: str | None = None


@dataclass(frozen=True)
class NotYetAvailable:
    """Reply: a known sub-command that this version cannot perform yet."""

    command: Command
    policy: EnvironmentPolicy


CommandReply = Usage | NotYetAvailable


def handle_rollback_command(deps: Deps, *, user_id: str, channel_id: str, text: str) -> CommandReply:
    """Answer `/rollback TEXT` typed by ``user_id`` in ``channel_id``."""
    deps.metrics.count("slash_commands", subcommand=_subcommand_label(text))
    try:
        command = parse_command(text)
    except UsageError as exc:
        return Usage(deps.catalog, lead=exc.user_message)
    if command.sub is SubCommand.help:
        return Usage(deps.catalog)
    policy = _policy_for(deps, command)
    _ensure_incident_channel(deps, policy=policy, user_id=user_id, channel_id=channel_id, command=command)
    return NotYetAvailable(command, policy)


def _subcommand_label(text: str) -> str:
    head = text.split()[0].lower() if text.split() else "start"
    return head if head in {s.value for s in SubCommand} else "other"


def _policy_for(deps: Deps, command: Command) -> EnvironmentPolicy:
    if command.sub is SubCommand.cancel:
        request = deps.requests.get(command.request_id or 0)
        return deps.catalog.resolve(request.target.service, request.target.environment)
    return deps.catalog.resolve(command.service, command.environment)


def _ensure_incident_channel(
    deps: Deps, *, policy: EnvironmentPolicy, user_id: str, channel_id: str, command: Command
) -> None:
    name = deps.directory.channel_name(channel_id) if policy.channel_patterns_used else None
    if policy.channel_allowed(channel_id, name):
        return
    deps.audit.append(
        AuditEvent(
            "refused.not_incident_channel",
            actor=user_id,
            at=deps.clock(),
            detail={"channel_id": channel_id, "target": str(policy.target), "command": command.sub.value},
        )
    )
    where = ", ".join(_channel_ref(c) for c in policy.incident_channels) or "no channel (none configured)"
    raise NotIncidentChannelError(
        f"`/rollback` for {policy.target} can only be used in its incident channels: {where}."
    )


def _channel_ref(item: str) -> str:
    return item if item.startswith("#") else f"<#{item}>"
