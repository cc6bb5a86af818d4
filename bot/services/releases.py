"""Releases: record the state of every layer, list them, mark them good or bad; one after every rollback.

This is also the API the deploy guard records a release through before a deploy, and marks it with after:

    before = record_release(deps, target, source="deploy", actor=who, note=f"before {image}")
    ...
    mark_release(deps, target, release.id, ReleaseStatus.good, actor="rollback-bot")
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.domain.releases import NewRelease, Release, ReleaseStatus
from bot.domain.rollback_requests import RollbackRequest, ServiceEnv
from bot.errors import RollbackBotError, UsageError
from bot.kinds.layers import read_layers
from bot.services import Deps
from bot.services.audit import record

log = logging.getLogger("rollback_bot.releases")
MAX_NOTE = 500


def record_release(
    deps: Deps,
    target: ServiceEnv,
    *,
    source: str,
    actor: str,
    note: str = "",
    status: ReleaseStatus = ReleaseStatus.unknown,
) -> Release:
    """Read every layer of ``target`` now and store it as a release.

    Raises:
        UsageError: the note is too long, or nothing configured takes part in releases.
        RollbackBotError: a layer could not be read (nothing is recorded: a release is every layer or none).
    """
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise UsageError(f"The note is too long ({len(note)} characters; at most {MAX_NOTE}).")
    env = deps.environment(target)
    with deps.read_snapshot():
        layers, problems = read_layers(env.kinds)
    if problems:
        unread = "; ".join(f"{kind}: {why}" for kind, why in problems.items())
        raise RollbackBotError(f"No release recorded: a layer of {target} could not be read ({unread}).")
    if not layers:
        raise UsageError(f"Nothing configured for {target} takes part in releases.")
    release = deps.releases.record(NewRelease(target, deps.clock(), source, actor, note, layers, status))
    record(deps, "release.recorded", actor=actor, release=release.id, target=str(target), source=source, note=note)
    deps.metrics.count("releases", target=target, source=source)
    return release


def releases_of(deps: Deps, target: ServiceEnv, *, limit: int = 20) -> Sequence[Release]:
    """``target``'s releases, newest first."""
    return deps.releases.recent(target, limit=limit)


def mark_release(deps: Deps, target: ServiceEnv, release_id: int, status: ReleaseStatus, *, actor: str) -> Release:
    """Say whether release ``release_id`` of ``target`` was good or bad (audited).

    Raises:
        UsageError: ``status`` is not good or bad.
        NotFoundError: ``target`` has no such release.
    """
    if status is ReleaseStatus.unknown:
        raise UsageError("Mark a release good or bad.")
    marked = deps.releases.mark(target, release_id, status, actor=actor, at=deps.clock())
    record(deps, "release.marked", actor=actor, release=release_id, target=str(target), status=status.value)
    return marked


def record_after_rollback(deps: Deps, request: RollbackRequest) -> Release | None:
    """After a succeeded rollback, the state it left is the newest release (a failure is logged, not raised)."""
    try:
        return record_release(
            deps,
            request.target,
            source="rollback",
            actor="rollback-bot",
            note=f"after rollback #{request.id} ({request.kind})",
        )
    except RollbackBotError as exc:
        log.warning("no release recorded after rollback #%s: %s", request.id, exc.user_message)
        record(deps, "release.not_recorded", actor="rollback-bot", request_id=request.id, reason=exc.user_message)
        return None
