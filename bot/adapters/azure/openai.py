"""``ModelDeploymentsApi`` over azure-mgmt-cognitiveservices: read deployments, pin a model version."""

from __future__ import annotations

from collections.abc import Iterable

from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices import models as m

from bot.adapters.azure.clients import AzureClients
from bot.adapters.azure.errors import Call, translate
from bot.adapters.azure.snapshot import snapshot_read
from bot.adapters.azure.values import enum_text, parse_time
from bot.domain.azure import ModelDeployment, ModelVersionInfo, OpenAIAccountRef
from bot.errors import UsageError
from bot.ports.azure import ModelDeploymentsApi

ROLE = "rollback-bot Azure OpenAI deployment operator"
NO_AUTO_UPGRADE = "NoAutoUpgrade"
_DEPLOYMENTS_READ = "Microsoft.CognitiveServices/accounts/deployments/read"
_FLOATING = {"latest", "default", "*"}


class AzureModelDeploymentsApi(ModelDeploymentsApi):
    """Azure OpenAI deployments through the real management SDK."""

    def __init__(self, *, clients: AzureClients) -> None:
        self._clients = clients
        self._by_subscription: dict[str, CognitiveServicesManagementClient] = {}

    def _client(self, ref: OpenAIAccountRef) -> CognitiveServicesManagementClient:
        """One SDK client per subscription, built on first use."""
        if ref.subscription_id not in self._by_subscription:
            self._by_subscription[ref.subscription_id] = self._clients.cognitive_services(ref.subscription_id)
        return self._by_subscription[ref.subscription_id]

    @snapshot_read
    def list_deployments(self, ref: OpenAIAccountRef) -> list[ModelDeployment]:
        """List the account's model deployments."""
        with translate(_call("list deployments", ref, "Azure OpenAI account", ref.account, _DEPLOYMENTS_READ)):
            return [_deployment(d) for d in self._client(ref).deployments.list(ref.resource_group, ref.account)]

    @snapshot_read
    def get_deployment(self, ref: OpenAIAccountRef, name: str) -> ModelDeployment:
        """Read one deployment."""
        return _deployment(self._get(ref, name))

    def _get(self, ref: OpenAIAccountRef, name: str) -> m.Deployment:
        """The SDK deployment (kept inside the adapter)."""
        with translate(_call("read the deployment", ref, _kind(ref), name, _DEPLOYMENTS_READ)):
            return self._client(ref).deployments.get(ref.resource_group, ref.account, name)

    def set_model_version(
        self, ref: OpenAIAccountRef, name: str, version: str, *, upgrade_option: str = NO_AUTO_UPGRADE
    ) -> ModelDeployment:
        """PUT the deployment at ``version`` with ``upgrade_option``, keeping sku, format and RAI policy."""
        if not version.strip() or version.strip().lower() in _FLOATING:
            raise UsageError(f"pin an explicit model version (e.g. 2024-05-13), not {version!r}")
        current = self._get(ref, name)
        body = _pinned(current, version.strip(), upgrade_option)
        client = self._client(ref)
        call = _call(
            "pin the model version", ref, _kind(ref), name, "Microsoft.CognitiveServices/accounts/deployments/write"
        )
        updated = self._clients.run_lro(
            call,
            lambda polling: client.deployments.begin_create_or_update(
                ref.resource_group, ref.account, name, body, polling=polling
            ),
            lro_options={"final-state-via": "azure-async-operation"},
        )
        return _deployment(updated)

    @snapshot_read
    def list_account_models(self, ref: OpenAIAccountRef) -> list[ModelVersionInfo]:
        """List the model versions deployable on the account."""
        call = _call(
            "list models", ref, "Azure OpenAI account", ref.account, "Microsoft.CognitiveServices/accounts/models/read"
        )
        with translate(call):
            models = self._client(ref).accounts.list_models(ref.resource_group, ref.account)
            return _unique(_model_info(x) for x in models)

    @snapshot_read
    def list_location_models(self, ref: OpenAIAccountRef, location: str) -> list[ModelVersionInfo]:
        """List the model versions offered in a region."""
        call = Call(
            "list models",
            "Azure region",
            location,
            "Microsoft.CognitiveServices/locations/models/read",
            f"/subscriptions/{ref.subscription_id}",
            ROLE,
        )
        with translate(call):
            return _unique(_model_info(x.model) for x in self._client(ref).models.list(location) if x.model)


def _kind(ref: OpenAIAccountRef) -> str:
    """How a deployment is named in messages."""
    return f"deployment of Azure OpenAI account '{ref.account}'"


def _call(operation: str, ref: OpenAIAccountRef, kind: str, resource: str, permission: str) -> Call:
    """The context of one Azure OpenAI call, for error messages."""
    return Call(operation, kind, resource, permission, ref.resource_group_id, ROLE)


def _pinned(current: m.Deployment, version: str, upgrade_option: str) -> m.Deployment:
    """The PUT body: the current model at ``version``, same sku/format/RAI policy, ``upgrade_option``."""
    props = current.properties or m.DeploymentProperties()
    model = props.model or m.DeploymentModel()
    sku = m.Sku(name=current.sku.name, capacity=current.sku.capacity) if current.sku else None
    return m.Deployment(
        sku=sku,
        properties=m.DeploymentProperties(
            model=m.DeploymentModel(format=model.format, name=model.name, version=version),
            version_upgrade_option=upgrade_option,
            rai_policy_name=props.rai_policy_name,
        ),
    )


def _deployment(dep: m.Deployment) -> ModelDeployment:
    """The domain view of an SDK deployment."""
    props = dep.properties or m.DeploymentProperties()
    model = props.model or m.DeploymentModel()
    return ModelDeployment(
        name=dep.name or "",
        model=model.name,
        version=model.version,
        format=model.format,
        version_upgrade_option=enum_text(props.version_upgrade_option),
        provisioning_state=enum_text(props.provisioning_state),
        sku_name=dep.sku.name if dep.sku else None,
        sku_capacity=dep.sku.capacity if dep.sku else None,
        last_modified=dep.system_data.last_modified_at if dep.system_data else None,
    )


def _model_info(model: m.AccountModel) -> ModelVersionInfo:
    """The domain view of an SDK model version."""
    deprecation = model.deprecation
    return ModelVersionInfo(
        name=model.name or "",
        version=model.version or "",
        format=model.format,
        lifecycle_status=enum_text(model.lifecycle_status),
        is_default_version=model.is_default_version,
        deprecation_inference=parse_time(deprecation.inference if deprecation else None),
    )


def _unique(models: Iterable[ModelVersionInfo]) -> list[ModelVersionInfo]:
    """One entry per (format, name, version): a region lists each model once per sku."""
    seen: dict[tuple[str | None, str, str], ModelVersionInfo] = {}
    for info in models:
        seen.setdefault((info.format, info.name, info.version), info)
    return list(seen.values())
