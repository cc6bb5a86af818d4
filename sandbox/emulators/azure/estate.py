"""Estate files: the compact YAML (or dict) format, expanded into ARM-shaped JSON state.

See the package docstring and ``README.md`` for the format. Times may be absolute (ISO-8601) or relative
to load time: ``now``, ``-40m``, ``-3h``, ``-7d``, ``-1d6h``, ``+30d`` (units s, m, h, d, w).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from sandbox.emulators.azure.app_signals import build_workspace
from sandbox.emulators.azure.core import Core, empty_state
from sandbox.emulators.azure.estate_builders import (
    container_app,
    container_app_job,
    openai_account,
    postgres_server,
    search_service,
)
from sandbox.emulators.azure.wire import JSON, parse_time, utc_now

DEMO_ESTATE_PATH = Path(__file__).with_name("demo_estate.yaml")
TOP_LEVEL_KEYS = {
    "subscription",
    "resource_group",
    "location",
    "description",
    "container_apps",
    "container_app_jobs",
    "restore_seconds",
    "openai_accounts",
    "postgres_servers",
    "search",
    "log_analytics_workspaces",
}
_RELATIVE = re.compile(r"([+-])((?:\d+[smhdw])+)")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Scope:
    """Where a resource lives; each item may override the estate's defaults."""

    subscription: str
    resource_group: str
    location: str
    now: datetime

    def of(self, item: dict[str, Any]) -> Scope:
        return Scope(
            str(item.get("subscription") or self.subscription),
            str(item.get("resource_group") or self.resource_group),
            str(item.get("location") or self.location),
            self.now,
        )

    def rg_id(self) -> str:
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"

    def time(self, value: Any, default: str = "now") -> datetime:
        return resolve_time(default if value is None else value, self.now)


def resolve_time(value: Any, now: datetime | None = None) -> datetime:
    """``now``, a relative offset (``-3h``, ``-1d6h``, ``+30d``), an ISO string, a date or a datetime."""
    now = now or utc_now()
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value).strip()
    if text == "now":
        return now
    match = _RELATIVE.fullmatch(text)
    if match:
        parts = re.findall(r"(\d+)([smhdw])", match.group(2))
        delta = sum((timedelta(**{_UNITS[unit]: int(n)}) for n, unit in parts), timedelta())
        return now - delta if match.group(1) == "-" else now + delta
    try:
        return parse_time(text)
    except ValueError as exc:
        raise ValueError(f"estate: cannot read time {value!r} (use ISO-8601, 'now', or e.g. -40m, -3h, -7d)") from exc


def read_spec(source: dict[str, Any] | str | Path | None) -> dict[str, Any]:
    """The estate as a dict: ``None`` is the demo estate; a str or Path is a YAML (or JSON) file."""
    if isinstance(source, dict):
        return copy.deepcopy(source)
    path = Path(source) if source is not None else DEMO_ESTATE_PATH
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"estate file {path} must hold a mapping at the top level")
    return loaded


def load_estate(source: dict[str, Any] | str | Path | None = None, *, now: datetime | None = None) -> JSON:
    """Expand a compact estate (file or dict) into the emulator's ARM-shaped JSON state.

    An already expanded state (a dict with a ``resources`` key, e.g. a saved ``state.json``) is returned
    as a deep copy.
    """
    spec = read_spec(source)
    if "resources" in spec:
        return {**empty_state(), **spec}
    unknown = sorted(set(spec) - TOP_LEVEL_KEYS)
    if unknown:
        raise ValueError(f"estate: unknown top-level key(s) {', '.join(unknown)}; known: {sorted(TOP_LEVEL_KEYS)}")
    scope = Scope(
        str(spec.get("subscription") or "00000000-0000-0000-0000-000000000001"),
        str(spec.get("resource_group") or "rg"),
        str(spec.get("location") or "eastus"),
        now or utc_now(),
    )
    core = Core(empty_state())
    for app in spec.get("container_apps") or []:
        container_app(core, scope.of(app), app)
    for job in spec.get("container_app_jobs") or []:
        container_app_job(core, scope.of(job), job)
    core.state["restoreSeconds"] = float(spec.get("restore_seconds") or 0)
    for account in spec.get("openai_accounts") or []:
        openai_account(core, scope.of(account), account)
    for server in spec.get("postgres_servers") or []:
        postgres_server(core, scope.of(server), server)
    search_service(core, spec.get("search") or {})
    for workspace in spec.get("log_analytics_workspaces") or []:
        build_workspace(core, scope.of(workspace), workspace)
    return core.state
