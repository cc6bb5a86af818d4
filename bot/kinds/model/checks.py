"""Check 2, model: each deployment's previous model version is still deployable (catalog, region, retirement)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from bot.domain.azure import ModelDeployment, ModelVersionInfo, OpenAIAccountRef
from bot.domain.findings import Finding, duration, failed, guarded, warned, when
from bot.domain.readiness import CheckStatus
from bot.domain.versions import previous_version, version_key
from bot.kinds.model.handle import ModelHandle
from bot.kinds.model.pinning import movable, pin_command
from bot.ports.azure import ModelDeploymentsApi

RETIREMENT_WARNING = timedelta(days=30)


def model_findings(handle: ModelHandle, now: datetime) -> list[Finding]:
    """One finding per configured deployment: its previous version is deployable, in the region too."""
    api, ref = handle.api, handle.ref
    if not handle.deployments:
        return [failed(f"model: no deployment of {ref.account} is configured", f"model: account {ref.account}")]
    catalog = _Catalog(
        account=api.list_account_models(ref),
        region=api.list_location_models(ref, handle.location) if handle.location else None,
        location=handle.location,
    )
    findings: list[Finding] = []
    for name in handle.deployments:
        findings += guarded(f"model {name}", partial(_deployment, now, api, ref, name, catalog))
    return findings


@dataclass(frozen=True)
class _Catalog:
    """Where the previous version is looked up: the account's catalog, and the region's when known."""

    account: list[ModelVersionInfo]
    region: list[ModelVersionInfo] | None
    location: str | None


def _deployment(
    now: datetime, api: ModelDeploymentsApi, ref: OpenAIAccountRef, name: str, catalog: _Catalog
) -> list[Finding]:
    dep = api.get_deployment(ref, name)
    label = f"model {name}"
    sku = f"{dep.sku_name or 'sku not reported'}, capacity {dep.sku_capacity if dep.sku_capacity else '?'}"
    now_line = f"{label}: runs {dep.model or '?'} {dep.version or '?'} ({sku})"
    if not dep.model or not dep.version:
        return [failed(f"{label}: the deployment reports no model name or version", now_line)]
    prev = previous_version(catalog.account, dep)
    if prev is None:
        known = sorted({m.version for m in catalog.account if m.name == dep.model}, key=version_key)
        return [
            failed(
                f"{label}: no version of {dep.model} older than {dep.version} is deployable on {ref.account}",
                now_line,
                f"{label}: versions of {dep.model} on {ref.account}: {', '.join(known) or 'none'}",
            )
        ]
    status, problem, lines = _judge(label, prev, now, catalog)
    return [Finding(status, (now_line, *lines), (_command(ref, dep, prev),), problem), *_pinned(ref, dep, label)]


def _pinned(ref: OpenAIAccountRef, dep: ModelDeployment, label: str) -> list[Finding]:
    """A warning when Azure may upgrade the deployment by itself (a rollback target that moves under you)."""
    if not movable(dep):
        return []
    option = dep.version_upgrade_option or "not set (OnceCurrentVersionExpired)"
    return [
        warned(
            f"{label}: Azure may upgrade {dep.name} by itself (versionUpgradeOption {option}); pin NoAutoUpgrade",
            f"{label}: version upgrade option {option}",
            commands=(pin_command(ref, dep),),
        )
    ]


def _judge(label: str, prev: ModelVersionInfo, now: datetime, catalog: _Catalog) -> tuple[CheckStatus, str, list[str]]:
    """Fail when the previous version is retired, deprecated or missing from the region; warn when it retires soon."""
    retires = prev.deprecation_inference
    lines = [
        f"{label}: previous version {prev.name} {prev.version} · {prev.lifecycle_status or 'lifecycle not reported'}"
        f" · inference retirement {_retirement(retires, now)}"
    ]
    location, region = catalog.location, catalog.region
    offered = region is None or any(m.name == prev.name and m.version == prev.version for m in region)
    lines.append(
        f"{label}: offered in region {location}: {'yes' if offered else 'no'}"
        if location
        else f"{label}: account region not known; checked the account's catalog only"
    )
    if not offered:
        return CheckStatus.failed, f"{label}: {prev.name} {prev.version} is not offered in {location}", lines
    if retires is not None and retires <= now:
        ago = duration(now - retires)
        return CheckStatus.failed, f"{label}: previous version {prev.version} was retired {ago} ago", lines
    if (prev.lifecycle_status or "").lower() == "deprecated":
        return (
            CheckStatus.failed,
            f"{label}: previous version {prev.version} is Deprecated and cannot be deployed",
            lines,
        )
    if retires is not None and retires - now <= RETIREMENT_WARNING:
        left = duration(retires - now)
        return CheckStatus.warn, f"{label}: previous version {prev.version} retires in {left}", lines
    return CheckStatus.passed, "", lines


def _retirement(retires: datetime | None, now: datetime) -> str:
    if retires is None:
        return "not published"
    relative = f"in {duration(retires - now)}" if retires > now else f"{duration(now - retires)} ago"
    return f"{when(retires)} ({relative})"


def _command(ref: OpenAIAccountRef, dep: ModelDeployment, prev: ModelVersionInfo) -> str:
    """Pin the deployment back to ``prev`` with NoAutoUpgrade: the same PUT the rollback makes.

    Not ``az cognitiveservices account deployment create``: the Azure CLI cannot set versionUpgradeOption,
    and a PUT without it lets Azure move the deployment forward again.
    """
    return pin_command(ref, dep, version=prev.version)
