"""Whether Azure may move a deployment's model version by itself, and the exact command that stops it.

``versionUpgradeOption`` other than ``NoAutoUpgrade`` lets Azure upgrade the deployment: within two weeks of
a new default version (``OnceNewDefaultVersionAvailable``), or at the current version's retirement
(``OnceCurrentVersionExpired``, also what an absent option means). The Azure CLI cannot change the option,
so the fix is the deployment's own PUT through ``az rest`` with the option set and everything else as it is.
"""

from __future__ import annotations

import json

from bot.domain.azure import ModelDeployment, OpenAIAccountRef
from bot.domain.releases import LayerItem

NO_AUTO_UPGRADE = "NoAutoUpgrade"
ARM_API_VERSION = "2024-10-01"  # a GA Microsoft.CognitiveServices api-version with versionUpgradeOption


def movable(dep: ModelDeployment) -> bool:
    """True when Azure may move the deployment to another model version without anyone asking."""
    return dep.version_upgrade_option != NO_AUTO_UPGRADE


def pin_command(
    ref: OpenAIAccountRef, dep: ModelDeployment, *, version: str | None = None, option: str | None = NO_AUTO_UPGRADE
) -> str:
    """The deployment PUT that keeps its model and sku, sets ``version`` (default: the one it runs) and ``option``.

    ``option`` None leaves ``versionUpgradeOption`` out of the body (what the deployment had when it was unset).
    """
    properties: dict[str, object] = {
        "model": {"format": dep.format or "OpenAI", "name": dep.model, "version": version or dep.version}
    }
    if option is not None:
        properties["versionUpgradeOption"] = option
    body = {"sku": {"name": dep.sku_name or "Standard", "capacity": dep.sku_capacity or 1}, "properties": properties}
    url = (
        f"/subscriptions/{ref.subscription_id}/resourceGroups/{ref.resource_group}/providers/"
        f"Microsoft.CognitiveServices/accounts/{ref.account}/deployments/{dep.name}?api-version={ARM_API_VERSION}"
    )
    return f"az rest --method put --url \"{url}\" --body '{json.dumps(body, separators=(',', ':'))}'"


def movable_warning(ref: OpenAIAccountRef, dep: ModelDeployment) -> str:
    """Why and how to pin a deployment Azure may upgrade ('' when it is pinned)."""
    if not movable(dep):
        return ""
    option = dep.version_upgrade_option or "not set, which means OnceCurrentVersionExpired"
    return (
        f"Azure may move {dep.name} off {dep.model} {dep.version} by itself (versionUpgradeOption {option}); "
        f"pin it: {pin_command(ref, dep)}"
    )


def deployment_item(ref: OpenAIAccountRef, dep: ModelDeployment) -> LayerItem:
    """The model layer of a release, for one deployment: its model and version (planned back by re-pinning)."""
    target = f"{dep.name}@{dep.version}" if dep.version else None
    text = f"{dep.name}: {dep.model} {dep.version} ({dep.version_upgrade_option or 'upgrade option not set'})"
    return LayerItem(dep.name, f"{dep.model} {dep.version}", text, target, movable_warning(ref, dep))
