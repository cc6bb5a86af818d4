"""Freezes and the Abort button: who may freeze, unfreeze and abort, and the audit of each.

From Slack: any member allowed to use `/rollback` in the channel may freeze; only an approver of the
environment or the person who froze may unfreeze; any approver may abort a running deploy (it moves toward the
known-good state, so one person suffices). From the command line the operator is trusted as for every other
write command (``cli:USER`` in the audit).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import approval
from bot.domain.freeze import Freeze, check_reason, parse_duration
from bot.domain.rollback_requests import ServiceEnv
from bot.errors import ConfigError, NotAllowedError, NotApproverError
from bot.ports.deploys import DeployRun, DeployRuns, FreezeStore
from bot.services import Deps
from bot.services.audit import audited, record
from bot.services.flow import ensure_member, usable_here
from bot.text import Text


def _freezes(deps: Deps) -> FreezeStore:
    if deps.freezes is None:
        raise ConfigError("freezes need the bot's database")
    return deps.freezes


def _runs(deps: Deps) -> DeployRuns:
    if deps.deploy_runs is None:
        raise ConfigError("deploys need the bot's database")
    return deps.deploy_runs


def freeze(deps: Deps, target: ServiceEnv, *, duration: str, reason: str, actor: str) -> Freeze:
    """Freeze deploys to ``target`` for ``duration`` (``90m``, ``2h``, ``1d``), audited."""
    deps.catalog.resolve(target.service, target.environment)
    seconds = parse_duration(duration).total_seconds()
    why = check_reason(reason)
    frozen = _freezes(deps).freeze(target, who=actor, reason=why, seconds=seconds)
    record(deps, "deploy.frozen", actor=actor, target=str(target), reason=why, until=frozen.until.isoformat())
    return frozen


def unfreeze(deps: Deps, target: ServiceEnv, *, actor: str) -> Freeze | None:
    """End ``target``'s freeze (None: there was none), audited."""
    deps.catalog.resolve(target.service, target.environment)
    ended = _freezes(deps).unfreeze(target)
    record(deps, "deploy.unfrozen", actor=actor, target=str(target), was=ended.reason if ended else None)
    return ended


def active_freezes(deps: Deps, targets: Sequence[ServiceEnv] | None = None) -> list[Freeze]:
    """Freezes in force now (of ``targets`` only, when given)."""
    if deps.freezes is None:
        return []
    found = deps.freezes.all_active()
    return [f for f in found if targets is None or f.target in targets]


def freeze_from_slack(
    deps: Deps, *, user_id: str, channel_id: str, service: str, environment: str, duration: str, reason: str
) -> Freeze:
    """`/rollback freeze`: a member in one of the environment's incident channels."""
    policy = deps.catalog.resolve(service, environment)

    def check() -> None:
        ensure_member(deps, user_id)
        if policy not in usable_here(deps, channel_id=channel_id):
            raise NotAllowedError(f"Freeze {policy.target} from one of its incident channels.")

    audited(deps, actor=user_id, request_id=None, action="freeze", check=check)
    return freeze(deps, policy.target, duration=duration, reason=reason, actor=user_id)


def unfreeze_from_slack(deps: Deps, *, user_id: str, service: str, environment: str) -> Freeze | None:
    """`/rollback unfreeze`: an approver of the environment, or whoever froze it."""
    policy = deps.catalog.resolve(service, environment)
    current = _freezes(deps).active(policy.target)

    def check() -> None:
        ensure_member(deps, user_id)
        if current is not None and current.who == user_id:
            return
        ensure_environment_approver(deps, policy.target, user_id)

    audited(deps, actor=user_id, request_id=None, action="unfreeze", check=check)
    return unfreeze(deps, policy.target, actor=user_id)


def ensure_environment_approver(deps: Deps, target: ServiceEnv, user_id: str) -> None:
    """A full member and, when approvers are configured, one of them (else anyone but a guest or bot)."""
    policy = deps.catalog.resolve(target.service, target.environment)
    rule = approval.ApproverRule(policy.approver_usergroup, policy.approver_users)
    members = deps.directory.usergroup_members(rule.usergroup) if rule.usergroup else frozenset()
    try:
        approval.ensure_approver(rule, deps.directory.user(user_id), members, deps.directory.workspace_id())
    except NotApproverError:
        raise NotApproverError(Text(f"Only an approver of {target} may do this.")) from None


def abort_deploy(deps: Deps, *, run_id: int, user_id: str) -> DeployRun:
    """The Abort button: an approver of the run's environment asks it to stop (stored; every replica sees it)."""
    runs = _runs(deps)
    run = runs.get(run_id)

    def check() -> None:
        ensure_environment_approver(deps, run.target, user_id)
        if run.finished_at is not None:
            raise NotAllowedError(f"Deploy #{run_id} has already finished ({run.outcome}).")

    audited(deps, actor=user_id, request_id=None, action="abort deploy", check=check)
    asked = runs.request_abort(run_id, who=user_id)
    record(deps, "deploy.abort_requested", actor=user_id, target=str(run.target), run=run_id, revision=run.revision)
    return asked
