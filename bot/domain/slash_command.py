"""Parsing the text of `/rollback …` into a typed command (pure)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.kinds import KindName, parse_kind
from bot.errors import UsageError

MAX_COMMAND_TEXT = 500


class SubCommand(StrEnum):
    """The sub-commands of `/rollback`."""

    start = "start"
    help = "help"
    status = "status"
    checklist = "checklist"
    drill = "drill"
    history = "history"
    releases = "releases"
    cancel = "cancel"
    freeze = "freeze"
    unfreeze = "unfreeze"


@dataclass(frozen=True)
class Command:
    """A parsed `/rollback` invocation."""

    sub: SubCommand
    service: str | None = None
    environment: str | None = None
    kind: KindName | None = None
    request_id: int | None = None
    duration: str | None = None
    reason: str | None = None


_TARGETED = {SubCommand.status, SubCommand.checklist, SubCommand.history, SubCommand.releases}


def parse_command(text: str, kinds: Collection[KindName]) -> Command:
    """Parse the command text (``kinds``: the kinds a drill may name); ``UsageError`` for anything else."""
    if len(text) > MAX_COMMAND_TEXT:
        raise UsageError(f"That command is too long ({len(text)} characters; at most {MAX_COMMAND_TEXT}).")
    words = text.split()
    if not words:
        return Command(SubCommand.start)
    head, args = words[0].lower(), words[1:]
    special = {
        SubCommand.help: lambda: Command(SubCommand.help),
        SubCommand.cancel: lambda: _parse_cancel(args),
        SubCommand.drill: lambda: _parse_drill(args, kinds),
        SubCommand.freeze: lambda: _parse_freeze(SubCommand.freeze, args),
        SubCommand.unfreeze: lambda: _parse_freeze(SubCommand.unfreeze, args),
    }
    if head in special:
        return special[SubCommand(head)]()
    if head in _TARGETED:
        service, env = _service_env(SubCommand(head), args, max_args=2)
        return Command(SubCommand(head), service, env)
    service, env = _service_env(SubCommand.start, words, max_args=2)
    return Command(SubCommand.start, service, env)


def _service_env(sub: SubCommand, args: list[str], *, max_args: int) -> tuple[str | None, str | None]:
    if len(args) > max_args:
        raise UsageError(f"Too many words for `/rollback {sub.value}`.")
    if sub is not SubCommand.start and not args:
        raise UsageError(f"`/rollback {sub.value}` needs a service: `/rollback {sub.value} SERVICE [ENV]`.")
    service = args[0].lower() if args else None
    env = args[1].lower() if len(args) > 1 else None
    return service, env


def _parse_cancel(args: list[str]) -> Command:
    if len(args) != 1:
        raise UsageError("`/rollback cancel` needs exactly one request id, e.g. `/rollback cancel 42`.")
    raw = args[0].lstrip("#")
    if not raw.isdigit():
        raise UsageError(f"“{args[0]}” is not a request id; ids are numbers, e.g. `/rollback cancel 42`.")
    return Command(SubCommand.cancel, request_id=int(raw))


def _parse_freeze(sub: SubCommand, args: list[str]) -> Command:
    """``freeze SERVICE ENV DURATION REASON…`` and ``unfreeze SERVICE ENV``."""
    if sub is SubCommand.unfreeze:
        if len(args) != 2:
            raise UsageError("`/rollback unfreeze SERVICE ENV`, e.g. `/rollback unfreeze pharmabot prod`.")
        return Command(sub, args[0].lower(), args[1].lower())
    if len(args) < 4:
        raise UsageError(
            "`/rollback freeze SERVICE ENV DURATION REASON…`, e.g. `/rollback freeze pharmabot prod 2h incident`."
        )
    return Command(sub, args[0].lower(), args[1].lower(), duration=args[2], reason=" ".join(args[3:]))


def _parse_drill(args: list[str], kinds: Collection[KindName]) -> Command:
    kind: KindName | None = None
    if len(args) == 3:
        kind = parse_kind(args[2], kinds)
        args = args[:2]
    service, env = _service_env(SubCommand.drill, args, max_args=2)
    return Command(SubCommand.drill, service, env, kind)


_READS_LIVE_STATE = {SubCommand.status, SubCommand.checklist, SubCommand.drill}


def reads_live_state(text: str) -> bool:
    """True for the sub-commands whose answer reads live state (Azure): their reply takes a while."""
    words = text.split()
    return bool(words) and words[0].lower() in _READS_LIVE_STATE
