"""The LLM application a Log Analytics workspace watches: which calls it makes, on what, and how they fare.

A workspace (``state["logAnalytics"]["workspaces"][id]``) follows one container app and optionally an Azure
OpenAI account's deployments and the application's prompts. At every moment the app serves
``callsPerMinute`` calls, split across revisions by their traffic weight, each call using the active
version of every prompt (split evenly between prompts) and the current model of every deployment (split
evenly). A call's error rate combines the configured rates of its revision, prompt version and model
version (``1 - (1-a)(1-b)(1-c)``); its p95 is the revision's plus the model's ``p95MsAdd``.

History comes from the estate itself: traffic weights are recorded whenever they change (``observe``),
model versions from the deployment history, prompt versions from the workspace's prompt history (or,
when the host connected one, from a source such as the application's prompt registry). The current
state holds for any later time, so a window that reaches past 'now' sees it continue.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from sandbox.emulators.azure import aca_model as aca
from sandbox.emulators.azure.wire import JSON, iso, parse_time, utc_now

if TYPE_CHECKING:
    from sandbox.emulators.azure.core import Core

# prompt name -> [(since, version)], oldest first: what a host-connected prompt source returns.
PromptHistory = Mapping[str, Sequence[tuple[datetime | None, str]]]
PromptSource = Callable[[], PromptHistory]
_DEFAULT_P95_MS = 800.0


@dataclass(frozen=True)
class Calls:
    """Expected calls of one kind in a window (fractions; rounded only when answered)."""

    revision: str
    prompt: str
    prompt_version: str
    deployment: str
    model_version: str
    calls: float
    errors: float
    p95_ms: float


def workspaces(core: Core) -> dict[str, JSON]:
    """Workspace id (lower case) -> workspace JSON."""
    found: dict[str, JSON] = core.state.setdefault("logAnalytics", {}).setdefault("workspaces", {})
    return found


def observe(core: Core) -> None:
    """Record each followed app's traffic weights when they changed (caller holds the lock)."""
    for workspace in workspaces(core).values():
        app = core.find(str(workspace.get("app") or ""))
        if app is None:
            continue
        now = {str(r["name"]): int(aca.props(r).get("trafficWeight") or 0) for r in aca.revisions_of(core, app)}
        timeline: list[JSON] = workspace.setdefault("traffic", [])
        if not timeline or timeline[-1]["weights"] != now:
            timeline.append({"at": iso(utc_now()) if timeline else None, "weights": now})


def simulate(core: Core, workspace: JSON, start: datetime, end: datetime, prompts: PromptHistory) -> list[Calls]:
    """Every kind of call the app made in ``[start, end)``."""
    out: list[Calls] = []
    timelines = _timelines(core, workspace, prompts)
    cuts = sorted({start, end, *(t for line in timelines.values() for t, _ in line if t and start < t < end)})
    for begin, finish in pairwise(cuts):
        minutes = (finish - begin).total_seconds() / 60
        total = float(workspace.get("callsPerMinute", 60)) * minutes
        out.extend(_slice(workspace, total, {key: _at(line, begin) for key, line in timelines.items()}))
    return out


def _slice(workspace: JSON, total: float, state: dict[str, Any]) -> Iterator[Calls]:
    """The calls of one stretch of time with a constant state."""
    weights: dict[str, int] = state.get("traffic") or {}
    prompts = [(k.removeprefix("prompt:"), str(v)) for k, v in sorted(state.items()) if k.startswith("prompt:")]
    models = [(k.rsplit("/", 1)[-1], str(v)) for k, v in sorted(state.items()) if k.startswith("model:")]
    for revision, weight in weights.items():
        if weight <= 0:
            continue
        share = total * weight / 100 / max(1, len(prompts)) / max(1, len(models))
        for prompt, version in prompts or [("", "")]:
            for deployment, model_version in models or [("", "")]:
                rates, p95 = _quality_of(workspace, revision, (prompt, version), model_version)
                healthy = 1.0
                for rate in rates:
                    healthy *= 1 - rate
                yield Calls(revision, prompt, version, deployment, model_version, share, share * (1 - healthy), p95)


def _quality_of(workspace: JSON, revision: str, prompt: tuple[str, str], model: str) -> tuple[list[float], float]:
    """The error rates of a call's revision, prompt version and model version, and its p95 in milliseconds."""
    revision_quality = (workspace.get("revisions") or {}).get(revision) or {}
    versions = ((workspace.get("prompts") or {}).get(prompt[0]) or {}).get("versions") or {}
    prompt_quality = versions.get(prompt[1]) or {}
    model_quality = (workspace.get("models") or {}).get(model) or {}
    rates = [float(q.get("errorRate", 0.0)) for q in (revision_quality, prompt_quality, model_quality)]
    base = float(revision_quality.get("p95Ms") or workspace.get("p95Ms") or _DEFAULT_P95_MS)
    return rates, base + float(model_quality.get("p95MsAdd", 0.0))


def _timelines(core: Core, workspace: JSON, prompts: PromptHistory) -> dict[str, list[tuple[datetime | None, Any]]]:
    """Key ('traffic', 'prompt:NAME', 'model:DEPLOYMENT-ID') -> [(since or None, value)], oldest first."""
    lines: dict[str, list[tuple[datetime | None, Any]]] = {
        "traffic": [(_time(e["at"]), e["weights"]) for e in workspace.get("traffic") or []]
    }
    for name, history in prompts.items():
        lines[f"prompt:{name}"] = [(since, version) for since, version in history]
    for deployment_id in workspace.get("deployments") or []:
        records = core.state["deploymentHistory"].get(str(deployment_id).lower()) or []
        lines[f"model:{deployment_id}"] = [(_time(r.get("since")), r["model"]["version"]) for r in records]
    return lines


def stored_prompts(workspace: JSON) -> dict[str, list[tuple[datetime | None, str]]]:
    """The workspace's own prompt history (set by the estate and ``/_emulator/workspaces/{id}/prompts``)."""
    return {
        name: [(_time(h.get("since")), str(h["version"])) for h in spec.get("history") or []]
        for name, spec in (workspace.get("prompts") or {}).items()
    }


def _at(line: list[tuple[datetime | None, Any]], moment: datetime) -> Any:
    """The value in force at ``moment`` (the first value also covers everything before it)."""
    current = line[0][1] if line else None
    for since, value in line:
        if since is None or since <= moment:
            current = value
    return current


def _time(value: Any) -> datetime | None:
    return parse_time(str(value)) if value else None


def aggregate(calls: list[Calls], key: Callable[[Calls], tuple[str, ...]]) -> dict[tuple[str, ...], list[float]]:
    """Sum calls, errors and calls times p95 per key."""
    groups: dict[tuple[str, ...], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for c in calls:
        group = groups[key(c)]
        group[0] += c.calls
        group[1] += c.errors
        group[2] += c.calls * c.p95_ms
    return dict(groups)


def whole(value: float) -> int:
    """A count from an expected value (half up)."""
    return int(value + 0.5)


def build_workspace(core: Core, scope: Any, spec: dict[str, Any]) -> None:
    """``{id, container_app?, openai?: {account, deployments}, calls_per_minute?, p95_ms?, unversioned_share?,
    traffic_history?: [{since, weights: {revision: percent}}], revisions?: {name: {error_rate?, p95_ms?}},
    prompts?: {name: {history: [{version, since?}], versions: {version: {error_rate}}}},
    models?: {version: {error_rate?, p95_ms_add?}}, results?: [...]}``.

    ``scope`` is the estate's ``Scope`` (subscription, resource group, relative times).
    """
    app = str(spec.get("container_app") or "")
    app_id = f"{scope.rg_id()}/providers/Microsoft.App/containerApps/{app}" if app else ""
    openai = spec.get("openai") or {}
    account_id = f"{scope.rg_id()}/providers/Microsoft.CognitiveServices/accounts/{openai.get('account')}"
    workspace: JSON = {
        "id": str(spec["id"]),
        "app": app_id,
        "deployments": [f"{account_id}/deployments/{d}" for d in openai.get("deployments") or []],
        "callsPerMinute": float(spec.get("calls_per_minute", 60)),
        "p95Ms": float(spec.get("p95_ms", _DEFAULT_P95_MS)),
        "unversionedShare": float(spec.get("unversioned_share", 0.0)),
        "revisions": {
            (name if "--" in name or not app else f"{app}--{name}"): _quality(q)
            for name, q in (spec.get("revisions") or {}).items()
        },
        "prompts": {
            str(name): {
                "history": [
                    {"version": str(h["version"]), "since": iso(scope.time(h["since"])) if "since" in h else None}
                    for h in p.get("history") or []
                ],
                "versions": {str(v): _quality(q) for v, q in (p.get("versions") or {}).items()},
            }
            for name, p in (spec.get("prompts") or {}).items()
        },
        "models": {str(v): _quality(q) for v, q in (spec.get("models") or {}).items()},
        "results": list(spec.get("results") or []),
        # How the app's traffic was split before the emulator started (oldest first; the first also covers
        # everything before it); from then on ``observe`` records each change.
        "traffic": [
            {
                "at": iso(scope.time(h["since"])) if "since" in h else None,
                "weights": {_full(app, str(name)): int(weight) for name, weight in (h.get("weights") or {}).items()},
            }
            for h in spec.get("traffic_history") or []
        ],
    }
    workspaces(core)[workspace["id"].lower()] = workspace
    observe(core)


def _full(app: str, revision: str) -> str:
    return revision if "--" in revision or not app else f"{app}--{revision}"


def _quality(spec: dict[str, Any] | None) -> JSON:
    names = {"error_rate": "errorRate", "p95_ms": "p95Ms", "p95_ms_add": "p95MsAdd"}
    return {names[k]: float(v) for k, v in (spec or {}).items() if k in names}


def set_prompt_quality(workspace: JSON, name: str, version: str, error_rate: float) -> None:
    """Calls made with ``version`` of prompt ``name`` fail at ``error_rate`` (caller holds the lock)."""
    prompt = workspace.setdefault("prompts", {}).setdefault(name, {"history": [], "versions": {}})
    prompt.setdefault("versions", {})[str(version)] = {"errorRate": float(error_rate)}


def activate_prompt(workspace: JSON, name: str, version: str) -> None:
    """The application starts using ``version`` of prompt ``name`` now (caller holds the lock)."""
    prompt = workspace.setdefault("prompts", {}).setdefault(name, {"history": [], "versions": {}})
    prompt["history"].append({"version": str(version), "since": iso(utc_now())})
