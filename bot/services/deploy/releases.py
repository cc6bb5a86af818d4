"""The release a deploy leaves behind: the state it deployed, good when promoted, bad when rolled back.

The release recorded before a deploy is the state traffic goes back to when a gate fails: the deploy never
marks it. (Marking it bad would make the known-good state unusable as a release rollback's target, and a
release rollback never targets a bad release.) Instead:

* promoted: the state live after the promotion is recorded as a new release, marked good;
* rolled back (or a restore that failed): what the deploy would have served — the recorded state with the new
  revision serving 100 % — is recorded, marked bad, so ``releases`` lists the bad deploy and nothing can pick
  it as a target.

Drift compares live state with the newest release that is not bad, so a bad deploy's release is never
reported as drift.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.domain.kinds import CODE
from bot.domain.releases import Layer, NewRelease, Release, ReleaseStatus
from bot.domain.rollback_requests import ServiceEnv
from bot.domain.traffic import TrafficRules
from bot.errors import RollbackBotError
from bot.kinds.code import KIND as CODE_KIND
from bot.kinds.code.planning import serving_item
from bot.services import Deps
from bot.services.audit import record
from bot.services.releases import MAX_NOTE, record_release

log = logging.getLogger("rollback_bot.deploy")


def deploy_release(
    deps: Deps,
    target: ServiceEnv,
    before: Release,
    *,
    change: str,
    actor: str,
    revision: str,
    promoted: bool,
    reason: str,
) -> Release | None:
    """Record the release of a finished deploy (see the module's docstring); None when it could not be read or
    stored (logged and audited: the deploy's own outcome stands either way)."""
    note = f"deploy of {change}" + (" (promoted)" if promoted else f" (rolled back: {reason})")
    note = note if len(note) <= MAX_NOTE else note[: MAX_NOTE - 1] + "…"
    try:
        if promoted:
            return record_release(deps, target, source="deploy", actor=actor, note=note, status=ReleaseStatus.good)
        return _record_candidate(deps, target, before, actor=actor, revision=revision, note=note)
    except RollbackBotError as exc:
        log.warning("no release recorded for the deploy of %s to %s: %s", revision, target, exc.user_message)
        record(deps, "release.not_recorded", actor="rollback-bot", target=str(target), reason=exc.user_message)
        return None


def _record_candidate(
    deps: Deps, target: ServiceEnv, before: Release, *, actor: str, revision: str, note: str
) -> Release:
    """``before`` with its code layer as the new revision serving everything (the deploy's goal)."""
    handle = deps.environment(target).handle(CODE_KIND)
    app = handle.api.get_app(handle.ref)
    candidate = replace(app, traffic=TrafficRules.named({revision: 100}))
    layers = tuple(Layer(CODE, (serving_item(candidate),)) if layer.kind == CODE else layer for layer in before.layers)
    release = deps.releases.record(NewRelease(target, deps.clock(), "deploy", actor, note, layers, ReleaseStatus.bad))
    record(deps, "release.recorded", actor=actor, release=release.id, target=str(target), source="deploy", note=note)
    deps.metrics.count("releases", source="deploy")
    return release


def said(release: Release | None) -> str:
    """How a deploy's message names its release."""
    if release is None:
        return "no release could be recorded for it"
    return f"release #{release.id} recorded as {release.status.value}"
