"""Planning a code rollback from a container app's live state: target, pinned rules, commands, risks."""

from __future__ import annotations

import json

from bot.domain.azure import ContainerAppRef, ContainerAppState, Revision
from bot.domain.kinds import CODE
from bot.domain.plan import Choice, Plan
from bot.domain.releases import LayerItem
from bot.domain.traffic import TrafficRules
from bot.kinds.code.state import CodeState

UNUSABLE = {"Failed", "Deprovisioning", "Deprovisioned"}
ARM_API_VERSION = "2025-07-01"  # a stable Microsoft.App api-version for the `az rest` form of a rule list


def created(rev: Revision) -> float:
    """Creation time as a sort key (unknown: oldest)."""
    return rev.created_time.timestamp() if rev.created_time else 0.0


def newest_first(revs: list[Revision]) -> list[Revision]:
    """Revisions, newest first."""
    return sorted(revs, key=created, reverse=True)


def serving(app: ContainerAppState) -> str | None:
    """The revision with the most traffic (ties: the newest), else the latest one."""
    weights = app.traffic.serving(app.latest_revision)
    by_name = {r.name: r for r in app.revisions}
    if not weights:
        return app.latest_revision
    return max(weights, key=lambda n: (weights[n], created(by_name[n]) if n in by_name else 0.0))


def candidates(app: ContainerAppState) -> list[Revision]:
    """Revisions that can take all traffic: usable and not already at 100 %."""
    weights = app.traffic.weights(app.latest_revision)
    return newest_first(
        [r for r in app.revisions if weights.get(r.name) != 100 and r.provisioning_state not in UNUSABLE]
    )


def default_target(app: ContainerAppState, pool: list[Revision]) -> str | None:
    """The newest healthy revision older than the serving one (else older, else any other)."""
    now = serving(app)
    by_name = {r.name: r for r in app.revisions}
    cutoff = by_name[now].created_time if now in by_name else None
    others = [r for r in pool if r.name != now]
    older = [r for r in others if cutoff is None or r.created_time is None or r.created_time < cutoff]
    healthy = [r for r in older if r.health_state != "Unhealthy"]
    chosen = healthy or older or others
    return chosen[0].name if chosen else None


UNHEALTHY_RUNNING = {"failed", "degraded"}


def failing_serving(app: ContainerAppState) -> str | None:
    """``pharmabot-prod--v2 serves 100 % and is Unhealthy (Degraded)`` for each serving revision Azure reports
    unhealthy; None when every revision that serves is healthy."""
    bad = [
        r
        for r in app.revisions
        if r.traffic_weight > 0
        and ((r.health_state or "").lower() == "unhealthy" or (r.running_state or "").lower() in UNHEALTHY_RUNNING)
    ]
    if not bad:
        return None
    parts = [
        f"{r.name} serves {r.traffic_weight} % and is {r.health_state or 'unhealthy'}"
        + (f" ({r.running_state})" if r.running_state else "")
        for r in bad
    ]
    return "; ".join(parts)


def choice_label(rev: Revision) -> str:
    """How a revision reads in the target picker (at most 75 characters)."""
    tag = (rev.image or "").rsplit(":", 1)[-1] or "?"
    health = rev.health_state or "health unknown"
    when = f"{rev.created_time:%Y-%m-%d %H:%M} UTC" if rev.created_time else "?"
    return f"{rev.name} · {tag} · {health} · {when}"[:75]


def describe_serving(app: ContainerAppState) -> str:
    """``v2: 100 %, Unhealthy`` for each revision that gets traffic, most first."""
    by_name = {r.name: r for r in app.revisions}
    parts = []
    for name, weight in sorted(app.traffic.serving(app.latest_revision).items(), key=lambda kv: -kv[1]):
        rev = by_name.get(name)
        health = f", {rev.health_state}" if rev and rev.health_state else ""
        parts.append(f"{name}: {weight} %{health}")
    return "; ".join(parts) or "no traffic rules"


def rules_command(ref: ContainerAppRef, rules: TrafficRules) -> str:
    """The exact command that makes ``rules`` the app's rule list.

    Plain ``revisionName`` rules: ``az containerapp ingress traffic set``. Anything with a label or a
    ``latestRevision`` rule: ``az rest`` with the whole list, which is the only exact form for those.
    """
    if rules.uses_only_plain_names():
        ordered = sorted(rules.rules, key=lambda r: -r.weight)
        weights = " ".join(f"{r.revision}={r.weight}" for r in ordered)
        return (
            f"az containerapp ingress traffic set --name {ref.name} --resource-group {ref.resource_group} "
            f"--revision-weight {weights}"
        )
    body = json.dumps(
        {"properties": {"configuration": {"ingress": {"traffic": rules.to_json()}}}}, separators=(",", ":")
    )
    url = (
        f"/subscriptions/{ref.subscription_id}/resourceGroups/{ref.resource_group}/providers/Microsoft.App/"
        f"containerApps/{ref.name}?api-version={ARM_API_VERSION}"
    )
    return f"az rest --method patch --url \"{url}\" --body '{body}'"


def activate_command(ref: ContainerAppRef, revision: str) -> str:
    """Activate one revision."""
    return (
        f"az containerapp revision activate --name {ref.name} --resource-group {ref.resource_group} "
        f"--revision {revision}"
    )


def deactivate_command(ref: ContainerAppRef, revision: str) -> str:
    """Deactivate one revision."""
    return (
        f"az containerapp revision deactivate --name {ref.name} --resource-group {ref.resource_group} "
        f"--revision {revision}"
    )


def risks(rev: Revision, current: CodeState) -> tuple[str, ...]:
    """What could go wrong when ``rev`` takes all traffic."""
    out = [
        "Requests in flight on the current revision finish there; new requests go to the target at once.",
        f"{rev.name} runs its own image and configuration: data written since in a newer format "
        "must be readable by it.",
    ]
    if rev.health_state == "Unhealthy":
        out.insert(0, f"{rev.name} itself reports Unhealthy right now.")
    if rev.name not in current.active:
        out.append(f"{rev.name} is inactive: it is activated first and needs a moment to start replicas.")
    if any(r.latest_revision for r in current.rules.rules):
        out.append(
            "Traffic is pinned by revision name: the latestRevision rule stays at 0 %, so the next deploy gets no "
            "traffic until the roll-forward command (or a new rule) gives it some."
        )
    return tuple(out)


def pinned_plan(
    ref: ContainerAppRef, app: ContainerAppState, rev: Revision, choices: tuple[Choice, ...]
) -> Plan[CodeState]:
    """The executable plan: 100 % on ``rev`` by name, every other rule kept at 0 % with its label."""
    current = CodeState.of(app)
    desired = CodeState(current.mode, current.latest, current.rules.pinned_to(rev.name), current.active | {rev.name})
    activate = rev.name not in current.active
    roll_forward = [rules_command(ref, current.rules)]
    if activate:
        roll_forward.append(deactivate_command(ref, rev.name))
    return Plan(
        kind=CODE,
        choice=rev.name,
        current=current,
        desired=desired,
        current_text=describe_serving(app),
        desired_text=f"{rev.name}: 100 % ({rev.image or 'image unknown'})",
        commands=(*((activate_command(ref, rev.name),) if activate else ()), rules_command(ref, desired.rules)),
        roll_forward=tuple(roll_forward),
        risks=risks(rev, current),
        steps=(*((f"activate {rev.name}",) if activate else ()), "shift traffic", "verify traffic", "health check"),
        choices=choices,
        note=(
            f"Traffic pinned by revision name: 100 % on {rev.name}, every other rule kept at 0 % with its label. "
            "Roll forward restores the previous rule list exactly."
        ),
    )


def single_mode_plan(
    ref: ContainerAppRef, app: ContainerAppState, rev: Revision, choices: tuple[Choice, ...]
) -> Plan[CodeState]:
    """Single revision mode: a shift cannot work; the plan explains why and gives the commands."""
    name, rg = ref.name, ref.resource_group
    return Plan.blocked(
        CODE,
        f"{name} runs in Single revision mode, where traffic weights cannot be used, so a traffic shift cannot "
        "work. Activate the previous revision first (switching the app to Multiple revision mode), then shift.",
        choice=rev.name,
        current=CodeState.of(app),
        current_text=f"Single revision mode; serving {app.latest_revision}",
        desired_text=f"{rev.name}: 100 %",
        commands=(
            f"az containerapp revision set-mode --name {name} --resource-group {rg} --mode multiple",
            activate_command(ref, rev.name),
            f"az containerapp ingress traffic set --name {name} --resource-group {rg} --revision-weight {rev.name}=100",
        ),
        risks=("Changing the revision mode is an app-level change; review it before running.",),
        choices=choices,
    )


def blocked_plan(app: ContainerAppState, choices: tuple[Choice, ...], why: str) -> Plan[CodeState]:
    """No target: the plan says why."""
    return Plan.blocked(CODE, why, current=CodeState.of(app), current_text=f"serving {serving(app)}", choices=choices)


def serving_item(app: ContainerAppState) -> LayerItem:
    """The code layer of a release: which revisions serve what share, and the image each runs.

    Compared by what serves (so a ``latestRevision`` rule and a pin on the same revision are the same state,
    and a new revision that takes traffic is a change); planned back by pinning the revision that served most.
    """
    images = {r.name: r.image or "image unknown" for r in app.revisions}
    shares = sorted(app.traffic.serving(app.latest_revision).items())
    value = "; ".join(f"{name}={weight} {images.get(name, 'image unknown')}" for name, weight in shares)
    text = ", ".join(
        f"{name} {weight} % ({images.get(name, '?').rsplit('/', 1)[-1]})"
        for name, weight in sorted(shares, key=lambda kv: -kv[1])
    )
    return LayerItem(app.name, value or "no traffic", f"{app.name}: {text or 'no traffic'}", serving(app))
