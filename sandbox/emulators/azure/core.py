"""Shared emulator state: the estate, its lock, the request log, faults and long-running operations.

The estate (``Core.state``) is plain JSON:

* ``resources``: ARM resources keyed by their lower-cased ARM id (container apps, revisions, Cognitive
  Services accounts and deployments, PostgreSQL servers and backups), each exactly as GET returns it;
* ``accountModels``: account id (lower-cased) -> list of ``AccountModel`` JSON;
* ``locationModels``: ``"<subscription>/<location>"`` (lower-cased) -> list of ``Model`` JSON;
* ``deploymentHistory``: deployment id (lower-cased) -> list of ``{"model": {...}, "since": iso}``;
* ``search``: ``{"indexes": {name: SearchIndex}, "aliases": {name: SearchAlias}, "documentCounts": {name: n}}``;
* ``logAnalytics``: ``{"workspaces": {id: workspace}}``, the application each workspace watches (``app_signals``);
* ``jobDurations``, ``jobRuns``, ``jobScripts``: how long each Container Apps job's executions run, when each
  running execution ends and how, and the scripted outcomes of the next executions (``arm_jobs``);
* ``restoreSeconds``: how long a point-in-time restore takes (0: it is ready after one poll).
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox.emulators.azure import app_signals
from sandbox.emulators.azure.faults import FaultInjector, not_found_message
from sandbox.emulators.azure.lro import LroRegistry
from sandbox.emulators.azure.wire import JSON, ApiError, utc_now

TOKEN = "emulator-token"  # noqa: S105 - the fixed, public token of a local test double


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator received (control and health calls included)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    at: float


class RequestLog(list[RecordedRequest]):
    """The request log: a list whose appends and snapshots are guarded by a lock."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def record(self, item: RecordedRequest) -> None:
        with self._lock:
            self.append(item)

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self)

    def reset(self) -> None:
        with self._lock:
            self.clear()

    def matching(self, method: str | None = None, path_contains: str | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.snapshot()
            if (method is None or r.method == method.upper()) and (path_contains is None or path_contains in r.path)
        ]


def empty_state() -> JSON:
    return {
        "resources": {},
        "accountModels": {},
        "locationModels": {},
        "deploymentHistory": {},
        "search": {"indexes": {}, "aliases": {}, "documentCounts": {}},
        "logAnalytics": {"workspaces": {}},
        "jobDurations": {},
        "jobRuns": {},
        "jobScripts": {},
        "restoreSeconds": 0,
    }


class Core:
    """Everything the request handlers share; every read or write of ``state`` holds ``lock``."""

    def __init__(self, state: JSON, state_file: Path | None = None) -> None:
        self.state = state
        self.lock = threading.RLock()
        self.faults = FaultInjector()
        self.lro = LroRegistry()
        self.requests = RequestLog()
        self.token = TOKEN
        self.state_file = state_file
        # When set, apps' health endpoints (/_apps/…) answer 401 unless the query carries ?code=<this>.
        self.health_code: str | None = None
        # Path (lower case) → the resource as it was just before the latest write to it (for stale reads).
        self.before_write: dict[str, JSON] = {}
        # A revision a template change just created (id, lower case) -> reads left before it is provisioned
        # and running, as Azure takes a while to start one (``provision_reads`` per new revision).
        self.provisioning: dict[str, int] = {}
        self.provision_reads = 2
        # "<app>/<revision>" (lower case) -> statuses its health endpoint answers next (the last one repeats).
        self.health_scripts: dict[str, list[int]] = {}
        # Workspace id (lower case) -> where the application reads its prompt versions (set by the host).
        self.prompt_sources: dict[str, app_signals.PromptSource] = {}
        # Job name (lower case) -> what carries an execution's command out when its time is up (set by the host).
        self.job_hooks: dict[str, Callable[[str, list[str]], str | None]] = {}
        # Seconds the emulator's clock for timed work (job executions, restores) is ahead of real time.
        self.skipped = 0.0

    def now(self) -> datetime:
        """The clock timed work runs on: real time plus what ``skip`` moved it forward."""
        return utc_now() + timedelta(seconds=self.skipped)

    @property
    def resources(self) -> dict[str, JSON]:
        resources: dict[str, JSON] = self.state["resources"]
        return resources

    def find(self, resource_id: str) -> JSON | None:
        return self.resources.get(resource_id.lower())

    def get(self, resource_id: str) -> JSON:
        """The resource at ``resource_id``, or a 404 ``ResourceNotFound`` error."""
        found = self.find(resource_id)
        if found is None:
            raise ApiError(404, "ResourceNotFound", not_found_message(resource_id), {"x-ms-failure-cause": "gateway"})
        return found

    def put(self, resource: JSON) -> JSON:
        self.resources[str(resource["id"]).lower()] = resource
        return resource

    def delete(self, resource_id: str) -> None:
        self.resources.pop(resource_id.lower(), None)

    def children(self, parent_id: str, child_type: str) -> list[JSON]:
        """Direct children of ``parent_id`` under the segment ``child_type`` (e.g. ``revisions``)."""
        prefix = f"{parent_id}/{child_type}/".lower()
        return [res for key, res in self.resources.items() if key.startswith(prefix) and "/" not in key[len(prefix) :]]

    def snapshot(self) -> JSON:
        with self.lock:
            return copy.deepcopy(self.state)

    def persist(self) -> None:
        """After a change: record the watched apps' traffic, and write the estate to ``state_file`` (if any)."""
        with self.lock:
            app_signals.observe(self)
            if self.state_file is None:
                return
            text = json.dumps(self.state, indent=1)
        tmp = self.state_file.with_suffix(f".{time.monotonic_ns()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(self.state_file)
