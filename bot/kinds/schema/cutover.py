"""Cut-over: point the application at a restored server, through a new revision that must pass a health gate.

One PATCH sets ``postgres.cutover.env_var`` of ``postgres.cutover.container`` to the restored server's host
(a new revision) and pins the revisions that serve now by name, so the new revision starts at 0 %. Once it is
provisioned and running, its own health URL must answer 200 (``health_attempts`` tries ``health_interval_seconds``
apart); only then does traffic move to it. If the gate fails no traffic moves: it stays exactly on the
revisions that served, the new revision is left at 0 % for inspection, the template's variable is set back to
what it was (so a later deploy does not carry the new host), and the request fails saying so.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from bot.domain.azure import ContainerAppState, PostgresServerRef, Revision
from bot.domain.kinds import SCHEMA
from bot.domain.plan import Choice, Plan, StepResult
from bot.domain.traffic import TrafficRule, TrafficRules
from bot.errors import AzureOperationError, UsageError, VerificationError
from bot.kinds.base import before_write
from bot.kinds.schema.handle import Cutover
from bot.kinds.schema.pitr import restored_key
from bot.kinds.schema.state import CUTOVER, SchemaState
from bot.ports.azure import PostgresApi
from bot.ports.health import HealthProbe

PREFIX = "cutover:"


def subject(c: Cutover) -> str:
    return f"{c.ref.name}/{c.container}/{c.env_var}"


def serving_value(c: Cutover, app: ContainerAppState) -> str | None:
    """The variable's value on the revisions that serve (``mixed: a, b`` when they differ)."""
    serving = app.traffic.serving(app.latest_revision) or ({app.latest_revision: 100} if app.latest_revision else {})
    values = sorted({str((app.revision(n) or _none(n)).env_value(c.container, c.env_var)) for n in serving})
    if not values:
        return None
    if len(values) > 1:
        return "mixed: " + ", ".join(values)
    return None if values[0] == "None" else values[0]


def _none(name: str) -> Revision:
    return Revision(name, False, 0, None, None, None, None, None, None)


def pinned(app: ContainerAppState) -> TrafficRules:
    """The rules as they serve now, each pinned by revision name (labels and weights kept): a new revision gets 0 %."""
    if not app.traffic.rules:
        return TrafficRules.named({app.latest_revision or "": 100})
    latest = app.latest_revision
    return TrafficRules(
        tuple(TrafficRule(r.weight, revision=r.serves(latest), label=r.label) for r in app.traffic.rules)
    )


def host_of(api: PostgresApi, ref: PostgresServerRef, name: str) -> tuple[str | None, str]:
    """The restored server's host, or why it cannot take the application yet."""
    server = api.find_server(ref, name)
    if server is None:
        return None, f"there is no server called {name}"
    if server.state != "Ready":
        return None, f"{name} is {server.state or 'in an unknown state'}, not Ready"
    return server.fqdn or f"{name}.postgres.database.azure.com", ""


def plan_cutover(
    c: Cutover, api: PostgresApi, ref: PostgresServerRef, new: str, choices: tuple[Choice, ...]
) -> Plan[SchemaState]:
    """Set the variable to the new server's host through a new revision gated at 0 %."""
    if not new.startswith(f"{ref.server}-restored-") or new == ref.server:
        raise UsageError(
            f"A cut-over goes to a server restored from {ref.server} ({ref.server}-restored-…), not {new!r}."
        )
    app = c.api.get_app(c.ref)
    now = SchemaState(CUTOVER, subject(c), serving_value(c, app))
    host, why = host_of(api, ref, new)
    choice = PREFIX + new
    if host is None:
        return Plan.blocked(
            SCHEMA, f"Cannot cut over: {why}.", current=now, current_text=now.describe(), choice=choice, choices=choices
        )
    if now.value == host:
        return Plan.blocked(
            SCHEMA,
            f"The application already uses {host}.",
            current=now,
            current_text=now.describe(),
            choice=choice,
            choices=choices,
        )
    rg, name = c.ref.resource_group, c.ref.name
    back = pinned(app)
    return Plan(
        kind=SCHEMA,
        choice=choice,
        current=now,
        desired=SchemaState(CUTOVER, subject(c), host),
        current_text=f"{c.env_var} of {name}/{c.container} = {now.value or 'not set'} (serving: {back.describe()})",
        desired_text=f"{c.env_var} = {host} on a new revision, after its health gate",
        commands=(
            f"az containerapp update --name {name} --resource-group {rg} --container-name {c.container} "
            f"--set-env-vars {c.env_var}={host}",
            f"az containerapp ingress traffic set --name {name} --resource-group {rg} "
            "--revision-weight <the new revision>=100  # only after its health URL answers 200",
        ),
        roll_forward=(
            f"az rest --method patch --url https://management.azure.com{_app_id(c)}?api-version=2025-07-01 "
            f'--body \'{{"properties":{{"configuration":{{"ingress":{{"traffic":{_json(back)}}}}}}}}}\'',
        ),
        risks=(
            f"Data-loss window: writes that reached {ref.server} after the restore point are not in {new}.",
            "The new revision takes no traffic until its health URL answers 200 "
            f"({c.health_attempts} tries {c.health_interval_seconds:g} s apart); if it never does, traffic stays "
            "where it is and the request fails.",
        ),
        steps=(
            f"one PATCH: {c.env_var}={host} in container {c.container} (a new revision) and the serving revisions "
            "pinned by name (the new one at 0 %)",
            "wait until the new revision is provisioned and running",
            "health gate on the new revision's own URL",
            "shift traffic to the new revision",
        ),
        choices=choices,
        follows=restored_key(new),
        note=(
            f"Data-loss window: writes that reached {ref.server} after the restore point are not in {new}. "
            f"{ref.server} is kept as it was; delete it only when the team is sure."
        ),
    )


def _app_id(c: Cutover) -> str:
    return f"{c.ref.resource_group_id}/providers/Microsoft.App/containerApps/{c.ref.name}"


def _json(rules: TrafficRules) -> str:
    import json

    return json.dumps(rules.to_json(), separators=(",", ":"))


def run_cutover(c: Cutover, plan: Plan[SchemaState], probe: HealthProbe, poll_seconds: float) -> Iterator[StepResult]:
    """PATCH at 0 %, wait, gate, shift (or leave traffic exactly where it was)."""
    assert plan.desired is not None and plan.desired.value is not None
    host = plan.desired.value
    started = time.monotonic()
    app = c.api.get_app(c.ref)
    original = app.traffic
    hold = pinned(app)
    latest = app.revision(app.latest_revision or "")
    was = latest.env_value(c.container, c.env_var) if latest is not None else None  # the template's value now
    before_write()
    changed = c.api.set_env(c.ref, container=c.container, name=c.env_var, value=host, traffic=hold)
    new = changed.latest_revision or ""
    detail = f"{c.env_var}={host} → revision {new} at 0 %; serving kept: {hold.describe()}"
    yield StepResult("new revision at 0 %", True, round(time.monotonic() - started, 3), detail, {"revision": new})
    gate = time.monotonic()
    try:
        revision = _wait_running(c, new, poll_seconds)
        passed, said = _health_gate(c, revision, probe)
    except AzureOperationError as exc:
        passed, said = False, exc.user_message
    if not passed:
        before_write()
        back = c.api.set_env(c.ref, container=c.container, name=c.env_var, value=was, traffic=hold)
        raise VerificationError(
            f"The new revision {new} failed its health gate ({said}). Traffic was not moved: it stays on "
            f"{hold.describe()}; {new} is left at 0 % for inspection. The template's {c.env_var} was set back to "
            f"{was or 'unset'} (revision {back.latest_revision}, at 0 %). The application still uses the old server."
        )
    yield StepResult("health gate", True, round(time.monotonic() - gate, 3), f"{new}: {said}")
    before_write()
    shifted = time.monotonic()
    final = original if _follows_latest(original) else hold.pinned_to(new)
    c.api.set_traffic(c.ref, final)
    yield StepResult("traffic", True, round(time.monotonic() - shifted, 3), f"100 % on {new}: {final.describe(new)}")


def _follows_latest(rules: TrafficRules) -> bool:
    """A list that sends everything to the latest revision keeps that form (it now serves the new revision)."""
    return not rules.rules or (len(rules.rules) == 1 and rules.rules[0].latest_revision)


def _wait_running(c: Cutover, name: str, poll_seconds: float) -> Revision:
    deadline = time.monotonic() + c.ready_timeout.total_seconds()
    while True:
        revision = next((r for r in c.api.list_revisions(c.ref) if r.name == name), None)
        if revision is not None and revision.provisioning_state == "Provisioned" and revision.active:
            return revision
        if revision is not None and revision.provisioning_state == "Failed":
            raise AzureOperationError(f"The new revision {name} failed to provision; traffic was not moved.")
        if time.monotonic() > deadline:
            state = revision.provisioning_state if revision else "not listed"
            raise AzureOperationError(f"The new revision {name} is still {state}; traffic was not moved.")
        time.sleep(min(poll_seconds, 2.0))


def _health_gate(c: Cutover, revision: Revision, probe: HealthProbe) -> tuple[bool, str]:
    said = "no answer"
    for attempt in range(1, c.health_attempts + 1):
        result = probe.get(c.health_url_of(revision))
        said = f"{result.url} answered {result.status or result.detail} (try {attempt} of {c.health_attempts})"
        if result.ok:
            return True, said
        if attempt < c.health_attempts:
            time.sleep(c.health_interval_seconds)
    return False, said


def verify_cutover(c: Cutover, ref: PostgresServerRef, plan: Plan[SchemaState]) -> tuple[StepResult, ...]:
    """The serving revisions name the new host; the old server is still there (and how to delete it later)."""
    assert plan.desired is not None
    app = c.api.get_app(c.ref)
    value = serving_value(c, app)
    ok = value == plan.desired.value
    delete = f"az postgres flexible-server delete --resource-group {ref.resource_group} --name {ref.server}"
    return (
        StepResult("database host", ok, 0.0, f"serving revisions use {c.env_var}={value or 'not set'}"),
        StepResult("old server", True, 0.0, f"{ref.server} is kept; when the team is sure, delete it with: {delete}"),
    )
