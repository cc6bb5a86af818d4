"""``ContainerAppsApi`` over azure-mgmt-appcontainers: read revisions, write whole traffic rule lists, (de)activate."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.appcontainers import models as m

from bot.adapters.azure.clients import AzureClients
from bot.adapters.azure.errors import Call, translate
from bot.adapters.azure.snapshot import snapshot_read
from bot.adapters.azure.values import enum_text
from bot.domain.azure import ContainerAppRef, ContainerAppState, Revision
from bot.domain.deploy import TemplateChange
from bot.domain.traffic import TrafficRule, TrafficRules
from bot.errors import UsageError
from bot.ports.azure import ContainerAppsApi

ROLE = "rollback-bot Container Apps operator"
_READ = "Microsoft.App/containerApps/read"
_REVISIONS_READ = "Microsoft.App/containerApps/revisions/read"
_WRITE = "Microsoft.App/containerApps/write"


class AzureContainerAppsApi(ContainerAppsApi):
    """Container Apps through the real management SDK."""

    def __init__(self, *, clients: AzureClients) -> None:
        self._clients = clients
        self._by_subscription: dict[str, ContainerAppsAPIClient] = {}

    def _client(self, ref: ContainerAppRef) -> ContainerAppsAPIClient:
        """One SDK client per subscription, built on first use."""
        if ref.subscription_id not in self._by_subscription:
            self._by_subscription[ref.subscription_id] = self._clients.container_apps(ref.subscription_id)
        return self._by_subscription[ref.subscription_id]

    @snapshot_read
    def get_app(self, ref: ContainerAppRef) -> ContainerAppState:
        """Read the app, its traffic split and all its revisions."""
        with translate(_call("read the container app", ref, ref.name, _READ)):
            app = self._client(ref).container_apps.get(ref.resource_group, ref.name)
        return _app_state(app, tuple(self.list_revisions(ref)))

    @snapshot_read
    def list_revisions(self, ref: ContainerAppRef) -> list[Revision]:
        """List every revision of the app, active or not."""
        with translate(_call("list revisions", ref, ref.name, _REVISIONS_READ)):
            pages = self._client(ref).container_apps_revisions.list_revisions(ref.resource_group, ref.name)
            return [_revision(r) for r in pages]

    def set_traffic(self, ref: ContainerAppRef, rules: TrafficRules) -> ContainerAppState:
        """Replace the whole traffic rule list (forms and labels as given) with a traffic-only PATCH and wait."""
        return _app_state(self._patch_traffic(ref, rules), tuple(self.list_revisions(ref)))

    def _patch_traffic(self, ref: ContainerAppRef, rules: TrafficRules) -> m.ContainerApp:
        rules.check_writable()
        traffic = [_weight(rule) for rule in rules.rules]
        patch = m.ContainerApp({"properties": {"configuration": {"ingress": {"traffic": traffic}}}})
        client = self._client(ref)
        app: m.ContainerApp = self._clients.run_lro(
            _call("shift traffic", ref, ref.name, _WRITE),
            lambda polling: client.container_apps.begin_update(ref.resource_group, ref.name, patch, polling=polling),
        )
        return app

    def get_revision(self, ref: ContainerAppRef, name: str) -> Revision:
        """Read one revision."""
        with translate(_call("read the revision", ref, name, _REVISIONS_READ)):
            found = self._client(ref).container_apps_revisions.get_revision(ref.resource_group, ref.name, name)
        return _revision(found)

    def read_app(self, ref: ContainerAppRef) -> ContainerAppState:
        """The app alone (one GET): mode, traffic, latest revision; ``revisions`` is empty."""
        with translate(_call("read the container app", ref, ref.name, _READ)):
            app = self._client(ref).container_apps.get(ref.resource_group, ref.name)
        return _app_state(app, ())

    def shift_traffic(self, ref: ContainerAppRef, rules: TrafficRules) -> None:
        """The traffic-only PATCH of :meth:`set_traffic`, waited for; nothing read back."""
        self._patch_traffic(ref, rules)

    def create_revision(
        self, ref: ContainerAppRef, change: TemplateChange, *, suffix: str, rules: TrafficRules
    ) -> None:
        """PATCH the template (the current one with ``change``, ``revisionSuffix``) and the whole rule list at once."""
        rules.check_writable()
        client = self._client(ref)
        with translate(_call("read the container app", ref, ref.name, _READ)):
            current = client.container_apps.get(ref.resource_group, ref.name)
        template = _changed_template(current, change, suffix)
        traffic = [_weight(rule).as_dict() for rule in rules.rules]
        patch = m.ContainerApp(
            {"properties": {"template": template, "configuration": {"ingress": {"traffic": traffic}}}}
        )
        self._clients.run_lro(
            _call("create a revision", ref, ref.name, _WRITE),
            lambda polling: client.container_apps.begin_update(ref.resource_group, ref.name, patch, polling=polling),
        )

    def set_env(
        self, ref: ContainerAppRef, *, container: str, name: str, value: str | None, traffic: TrafficRules
    ) -> ContainerAppState:
        """One PATCH of the template (the variable set on ``container``, or removed for None) and the traffic
        rules, waited for."""
        traffic.check_writable()
        client = self._client(ref)
        with translate(_call("read the container app", ref, ref.name, _READ)):
            app = client.container_apps.get(ref.resource_group, ref.name)
        template = (app.properties.template if app.properties else None) or m.Template()
        containers = list(template.containers or [])
        if not any(c.name == container for c in containers):
            names = ", ".join(c.name or "?" for c in containers) or "none"
            raise UsageError(f"container app '{ref.name}' has no container '{container}' (containers: {names})")
        for item in containers:
            if item.name == container:
                kept = [e for e in (item.env or []) if e.name != name]
                item.env = [*kept, m.EnvironmentVar(name=name, value=value)] if value is not None else kept
        template.containers = containers
        # A suffix of its own: the template's old suffix names a revision that exists already.
        template.revision_suffix = f"{name.lower().replace('_', '-')[:12].strip('-')}-{secrets.token_hex(3)}"
        rules = [_weight(rule) for rule in traffic.rules]
        patch = m.ContainerApp(
            {
                "properties": {
                    "template": template.as_dict(),
                    "configuration": {"ingress": {"traffic": [r.as_dict() for r in rules]}},
                }
            }
        )
        updated = self._clients.run_lro(
            _call("change the template", ref, ref.name, _WRITE),
            lambda polling: client.container_apps.begin_update(ref.resource_group, ref.name, patch, polling=polling),
        )
        return _app_state(updated, tuple(self.list_revisions(ref)))

    def activate_revision(self, ref: ContainerAppRef, name: str) -> None:
        """Activate a revision so it can receive traffic."""
        call = _call("activate the revision", ref, name, "Microsoft.App/containerApps/revisions/activate/action")
        with translate(call):
            self._client(ref).container_apps_revisions.activate_revision(ref.resource_group, ref.name, name)

    def deactivate_revision(self, ref: ContainerAppRef, name: str) -> None:
        """Deactivate a revision."""
        call = _call("deactivate the revision", ref, name, "Microsoft.App/containerApps/revisions/deactivate/action")
        with translate(call):
            self._client(ref).container_apps_revisions.deactivate_revision(ref.resource_group, ref.name, name)


def _call(operation: str, ref: ContainerAppRef, resource: str, permission: str) -> Call:
    """The context of one Container Apps call, for error messages."""
    kind = "container app" if resource == ref.name else f"revision of container app '{ref.name}'"
    return Call(operation, kind, resource, permission, ref.resource_group_id, ROLE)


def _changed_template(app: m.ContainerApp, change: TemplateChange, suffix: str) -> dict[str, Any]:
    """The app's template (wire JSON) with ``change`` applied to its container (named, else the first) and the
    new revision's suffix; everything else of the template (scale, volumes, probes …) as it is."""
    props = app.as_dict().get("properties") or {}
    template: dict[str, Any] = copy.deepcopy(props.get("template") or {})
    containers: list[dict[str, Any]] = template.get("containers") or []
    names = [str(c.get("name")) for c in containers]
    if not containers:
        raise UsageError(f"Container app '{app.name}' has no container in its template to change.")
    if change.container is not None and change.container not in names:
        raise UsageError(f"Container app '{app.name}' has no container '{change.container}' ({', '.join(names)}).")
    container = containers[names.index(change.container) if change.container is not None else 0]
    if change.image:
        container["image"] = change.image
    env: list[dict[str, Any]] = container.setdefault("env", []) if change.env else []
    for name, value in change.env:
        found = next((e for e in env if e.get("name") == name), None)
        if found is None:
            env.append({"name": name, "value": value})
        else:
            found.pop("secretRef", None)
            found["value"] = value
    template["revisionSuffix"] = suffix
    return template


def _weight(rule: TrafficRule) -> m.TrafficWeight:
    """The SDK form of one rule; fields it does not have are left out of the request."""
    return m.TrafficWeight(
        revision_name=rule.revision,
        weight=rule.weight,
        latest_revision=True if rule.latest_revision else None,
        label=rule.label,
    )


def _revision(rev: m.Revision) -> Revision:
    """The domain view of an SDK revision (optional fields stay ``None``)."""
    props = rev.properties or m.RevisionProperties()
    containers = (props.template.containers if props.template else None) or []
    return Revision(
        name=rev.name or "",
        active=bool(props.active),
        traffic_weight=int(props.traffic_weight or 0),
        created_time=props.created_time,
        image=containers[0].image if containers else None,
        health_state=enum_text(props.health_state),
        running_state=enum_text(props.running_state),
        provisioning_state=enum_text(props.provisioning_state),
        fqdn=props.fqdn,
        env=tuple(
            (c.name or "", e.name or "", e.value)
            for c in containers
            for e in (c.env or [])
            if e.name and e.value is not None and not e.secret_ref
        ),
    )


def _app_state(app: m.ContainerApp, revisions: tuple[Revision, ...]) -> ContainerAppState:
    """The domain view of an SDK container app plus its revisions."""
    props = app.properties or m.ContainerAppProperties()
    config = props.configuration or m.Configuration()
    ingress = config.ingress
    traffic = TrafficRules(
        tuple(
            TrafficRule(
                weight=int(t.weight or 0),
                revision=None if t.latest_revision else t.revision_name,
                latest_revision=bool(t.latest_revision),
                label=t.label,
            )
            for t in ((ingress.traffic if ingress else None) or [])
        )
    )
    return ContainerAppState(
        name=app.name or "",
        active_revisions_mode=enum_text(config.active_revisions_mode),
        fqdn=ingress.fqdn if ingress else None,
        latest_revision=props.latest_revision_name,
        location=app.location,
        traffic=traffic,
        revisions=revisions,
    )
