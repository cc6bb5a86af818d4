"""Cut-over: point the application at a restored server, through the deploy guard.

The guard's template change sets ``postgres.cutover.env_var`` of ``postgres.cutover.container`` to the restored
server's host: one PATCH creates the new revision with the revisions that serve now pinned by name (the new
one at 0 %); once it is running its own health URL must answer 200 (the environment's ``deploy`` gate settings);
only then does all the traffic move to it, at once (never split between two databases). If the gate fails the
guard puts the traffic back exactly as it found it, the new revision is left at 0 % for inspection, the
template's variable is set back to what it was (so a later deploy does not carry the new host), and the request
fails saying so.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import partial

from bot.domain.azure import ContainerAppState, PostgresServerRef, Revision
from bot.domain.deploy import TemplateChange
from bot.domain.kinds import SCHEMA
from bot.domain.plan import Choice, Plan, StepResult
from bot.domain.traffic import TrafficRule, TrafficRules
from bot.errors import UsageError, VerificationError
from bot.kinds.base import before_write
from bot.kinds.schema.handle import Cutover
from bot.kinds.schema.pitr import restored_key
from bot.kinds.schema.state import CUTOVER, SchemaState
from bot.ports.azure import PostgresApi

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
    blocked = partial(
        Plan[SchemaState].blocked, SCHEMA, current=now, current_text=now.describe(), choice=choice, choices=choices
    )
    if host is None:
        return blocked(f"Cannot cut over: {why}.")
    if now.value == host:
        return blocked(f"The application already uses {host}.")
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
            f"--set-env-vars {c.env_var}={host}  # the bot writes this with the serving revisions pinned by name",
            f"az containerapp ingress traffic set --name {name} --resource-group {rg} "
            "--revision-weight <the new revision>=100  # only after its health URL answers 200",
        ),
        roll_forward=(
            f"az rest --method patch --url https://management.azure.com{_app_id(c)}?api-version=2025-07-01 "
            f'--body \'{{"properties":{{"configuration":{{"ingress":{{"traffic":{_json(back)}}}}}}}}}\'',
        ),
        risks=(
            f"Data-loss window: writes that reached {ref.server} after the restore point are not in {new}.",
            "The new revision takes no traffic until its health URL answers 200 (the deploy guard's gate: the "
            "environment's deploy.health_attempts and deploy.health_interval_seconds); if it never does, traffic "
            "stays where it is and the request fails.",
            "All the traffic moves at once after the gate (no canary steps): the application never writes to two "
            "databases at the same time.",
        ),
        steps=(
            f"one PATCH: {c.env_var}={host} in container {c.container} (a new revision) and the serving revisions "
            "pinned by name (the new one at 0 %)",
            "wait until the new revision is provisioned and running (the deploy guard)",
            "health gate on the new revision's own URL",
            "all the traffic to the new revision; if the gate fails, traffic back exactly as it was and the "
            f"template's {c.env_var} set back",
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


def revision_suffix(c: Cutover, new: str) -> str:
    """``db-<yyyymmddhhmm>`` of the restored server (``-2``, ``-3`` … when a cut-over to it was tried before)."""
    base = "db-" + new.rsplit("-", 1)[-1]
    taken = {r.name for r in c.api.list_revisions(c.ref)}
    suffix, n = base, 1
    while f"{c.ref.name}--{suffix}" in taken:
        n += 1
        suffix = f"{base}-{n}"
    return suffix


def run_cutover(c: Cutover, plan: Plan[SchemaState]) -> Iterator[StepResult]:
    """Through the deploy guard: the new revision at 0 %, its health gate, then all the traffic at once. If the
    gate fails the guard puts the traffic back; the template's variable is then set back too."""
    assert plan.desired is not None and plan.desired.value is not None
    host = plan.desired.value
    new = plan.follows.removeprefix("restored:") or host.split(".", 1)[0]
    started = time.monotonic()
    app = c.api.get_app(c.ref)
    latest = app.revision(app.latest_revision or "")
    was = latest.env_value(c.container, c.env_var) if latest is not None else None  # the template's value now
    change = TemplateChange(env=((c.env_var, host),), container=c.container)
    result = c.guard.change(c.api, c.ref, c.health_url_of, change, suffix=revision_suffix(c, new))
    seconds = round(time.monotonic() - started, 3)
    evidence = "; ".join(result.evidence[-3:])
    if not result.promoted:
        before_write()
        back = c.api.set_env(c.ref, container=c.container, name=c.env_var, value=was, traffic=result.after)
        raise VerificationError(
            f"The new revision {result.revision} did not pass the deploy guard ({result.reason}). Traffic is as it "
            f"was: {result.after.describe()}; {result.revision} is left at 0 % for inspection. The template's "
            f"{c.env_var} was set back to {was or 'unset'} (revision {back.latest_revision}, at 0 %). The "
            "application still uses the old server."
        )
    detail = f"{result.revision} ({c.env_var}={host}) passed its health gate at 0 % and took the traffic: "
    yield StepResult(
        "cut-over", True, seconds, detail + (evidence or result.after.describe()), {"revision": result.revision}
    )


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
