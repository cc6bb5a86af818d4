"""Azure resources as the bot sees them: references (what to reach) and state (what was read).

Plain frozen dataclasses, free of any SDK type. Fields that official REST examples may omit
(``healthState``, ``provisioningState``, ``activeRevisionsMode``, ``isDefaultVersion``, …) are optional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.traffic import TrafficRules

# --- references --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContainerAppRef:
    """An Azure Container App."""

    subscription_id: str
    resource_group: str
    name: str

    @property
    def resource_group_id(self) -> str:
        """ARM id of the resource group, the scope roles are assigned at."""
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"


@dataclass(frozen=True)
class OpenAIAccountRef:
    """An Azure OpenAI (Cognitive Services) account."""

    subscription_id: str
    resource_group: str
    account: str

    @property
    def resource_group_id(self) -> str:
        """ARM id of the resource group, the scope roles are assigned at."""
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"


@dataclass(frozen=True)
class PostgresServerRef:
    """An Azure Database for PostgreSQL flexible server."""

    subscription_id: str
    resource_group: str
    server: str

    @property
    def resource_group_id(self) -> str:
        """ARM id of the resource group, the scope roles are assigned at."""
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"

    @property
    def resource_id(self) -> str:
        """ARM id of the server."""
        return f"{self.resource_group_id}/providers/Microsoft.DBforPostgreSQL/flexibleServers/{self.server}"


@dataclass(frozen=True)
class JobRef:
    """An Azure Container Apps job (e.g. the application's migration tool, run on demand)."""

    subscription_id: str
    resource_group: str
    name: str

    @property
    def resource_group_id(self) -> str:
        """ARM id of the resource group, the scope roles are assigned at."""
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"


@dataclass(frozen=True)
class SearchAliasRef:
    """An index alias on an Azure AI Search service."""

    endpoint: str
    alias: str


# --- Container Apps ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    """One revision of a container app."""

    name: str
    active: bool
    traffic_weight: int
    created_time: datetime | None
    image: str | None
    health_state: str | None
    running_state: str | None
    provisioning_state: str | None
    fqdn: str | None
    # Plain environment variables per container: (container, name, value); secret references are left out.
    env: tuple[tuple[str, str, str], ...] = ()

    def env_value(self, container: str, name: str) -> str | None:
        """The value of variable ``name`` in ``container`` (None: not set there)."""
        return next((v for c, n, v in self.env if c == container and n == name), None)


@dataclass(frozen=True)
class ContainerAppState:
    """A container app with its traffic rules and revisions."""

    name: str
    active_revisions_mode: str | None
    fqdn: str | None
    latest_revision: str | None
    location: str | None
    traffic: TrafficRules
    revisions: tuple[Revision, ...]

    def revision(self, name: str) -> Revision | None:
        """The revision called ``name``, if the app has it."""
        return next((r for r in self.revisions if r.name == name), None)


# --- Azure OpenAI ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelDeployment:
    """A model deployment of an Azure OpenAI account."""

    name: str
    model: str | None
    version: str | None
    format: str | None
    version_upgrade_option: str | None
    provisioning_state: str | None
    sku_name: str | None
    sku_capacity: int | None
    last_modified: datetime | None = None  # ARM systemData.lastModifiedAt, when the service reports it


@dataclass(frozen=True)
class ModelVersionInfo:
    """A model version that can be deployed (on an account or in a region)."""

    name: str
    version: str
    format: str | None
    lifecycle_status: str | None
    is_default_version: bool | None
    deprecation_inference: datetime | None


# --- PostgreSQL --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostgresServerState:
    """A PostgreSQL flexible server and its backup window."""

    name: str
    state: str | None
    location: str | None
    version: str | None
    earliest_restore_date: datetime | None
    backup_retention_days: int | None
    fqdn: str | None
    created: datetime | None = None  # when Azure created it (a restore's new server: when the restore began)


# --- Container Apps jobs -------------------------------------------------------------------------

JOB_FINISHED = frozenset({"Succeeded", "Failed", "Stopped", "Degraded"})


@dataclass(frozen=True)
class JobContainer:
    """One container of a job's template."""

    name: str
    image: str


@dataclass(frozen=True)
class JobExecution:
    """One execution of a job: its status (``Running``, ``Succeeded``, ``Failed`` …) and the command it ran."""

    name: str
    status: str | None
    started: datetime | None
    ended: datetime | None
    command: tuple[str, ...]

    @property
    def finished(self) -> bool:
        """True once Azure reports an end state."""
        return self.status in JOB_FINISHED


@dataclass(frozen=True)
class Backup:
    """A completed backup of a PostgreSQL flexible server."""

    name: str
    completed_time: datetime | None
    type: str | None
    source: str | None


# --- AI Search ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchAliasState:
    """An alias and the index it maps to (AI Search allows exactly one)."""

    alias: str
    indexes: tuple[str, ...]

    @property
    def index(self) -> str | None:
        """The index the alias points at."""
        return self.indexes[0] if self.indexes else None


@dataclass(frozen=True)
class IndexInfo:
    """A search index and how many documents it holds."""

    name: str
    document_count: int | None
