"""Ports to the Azure resources a rollback touches; adapters implement them over the Azure SDKs.

Every method raises only errors from ``bot.errors``: ``AzureAuthError`` (401/403), ``AzureNotFoundError``
(404), ``AzureConflictError`` (409), ``AzureThrottledError`` (429 past the bounded wait),
``AzureUnavailableError`` (5xx/connection errors past bounded retries), ``AzureOperationError`` (a
long-running operation failed or is still running after its time bound) or ``AzureError``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from bot.domain.azure import (
    Backup,
    ContainerAppRef,
    ContainerAppState,
    IndexInfo,
    ModelDeployment,
    ModelVersionInfo,
    OpenAIAccountRef,
    PostgresServerRef,
    PostgresServerState,
    Revision,
    SearchAliasRef,
    SearchAliasState,
)
from bot.domain.deploy import TemplateChange
from bot.domain.traffic import TrafficRules


class ContainerAppsApi(ABC):
    """Azure Container Apps: revisions and the traffic rules."""

    @abstractmethod
    def get_app(self, ref: ContainerAppRef) -> ContainerAppState:
        """Read the app, its traffic split and all its revisions.

        Args:
            ref: the container app.

        Returns:
            The app's live state, revisions included.
        """

    @abstractmethod
    def list_revisions(self, ref: ContainerAppRef) -> list[Revision]:
        """List every revision of the app, active or not.

        Args:
            ref: the container app.

        Returns:
            The revisions, in the order Azure lists them.
        """

    @abstractmethod
    def set_traffic(self, ref: ContainerAppRef, rules: TrafficRules) -> ContainerAppState:
        """Replace the whole traffic rule list (a traffic-only PATCH, waited for within the time bound).

        Every rule is written as given: its form (``revisionName`` or ``latestRevision``), weight and label.

        Args:
            ref: the container app (must be in ``Multiple`` revisions mode).
            rules: the complete list the app should have; weights sum to 100, labels unique.

        Returns:
            The app's state after the change.

        Raises:
            UsageError: the list is empty, its weights do not sum to 100, or a label repeats.
        """

    @abstractmethod
    def get_revision(self, ref: ContainerAppRef, name: str) -> Revision:
        """Read one revision (its provisioning, running and health states, its FQDN).

        Args:
            ref: the container app.
            name: the revision's full name (``<app>--<suffix>``).

        Returns:
            The revision as Azure reports it now.
        """

    @abstractmethod
    def create_revision(
        self, ref: ContainerAppRef, change: TemplateChange, *, suffix: str, rules: TrafficRules
    ) -> None:
        """One PATCH that changes the template (creating revision ``<app>--<suffix>``) and writes ``rules``.

        The template is the app's current one (read just before) with ``change`` applied; the PATCH is waited
        for within the time bound. ``rules`` is the complete traffic list, which may name the new revision.

        Args:
            ref: the container app (``Multiple`` revisions mode).
            change: the image and/or environment variables to set.
            suffix: the new revision's suffix.
            rules: the traffic list to write in the same request.
        """

    def read_app(self, ref: ContainerAppRef) -> ContainerAppState:
        """The app's mode, traffic rules and latest revision, without listing its revisions (``revisions`` may
        be empty): what a deploy needs before it writes. By default the whole :meth:`get_app`."""
        return self.get_app(ref)

    def shift_traffic(self, ref: ContainerAppRef, rules: TrafficRules) -> None:
        """Like :meth:`set_traffic`, without reading the app back (a deploy reads what it needs itself)."""
        self.set_traffic(ref, rules)

    @abstractmethod
    def set_env(
        self, ref: ContainerAppRef, *, container: str, name: str, value: str | None, traffic: TrafficRules
    ) -> ContainerAppState:
        """One PATCH, waited for: set variable ``name`` of ``container`` in the template (None: remove it; either
        way a new revision) and the traffic rules to ``traffic`` (which keep the serving revisions pinned: the new
        one starts at 0 %).

        Returns:
            The app's state after the change (its latest revision is the new one).

        Raises:
            UsageError: the template has no container called ``container``.
        """

    @abstractmethod
    def activate_revision(self, ref: ContainerAppRef, name: str) -> None:
        """Activate a revision so it can receive traffic.

        Args:
            ref: the container app.
            name: the revision's name.
        """

    @abstractmethod
    def deactivate_revision(self, ref: ContainerAppRef, name: str) -> None:
        """Deactivate a revision.

        Args:
            ref: the container app.
            name: the revision's name.
        """


class ModelDeploymentsApi(ABC):
    """Azure OpenAI model deployments and the model versions they can be pinned to."""

    @abstractmethod
    def list_deployments(self, ref: OpenAIAccountRef) -> list[ModelDeployment]:
        """List the account's model deployments.

        Args:
            ref: the Azure OpenAI account.

        Returns:
            Every deployment of the account.
        """

    @abstractmethod
    def get_deployment(self, ref: OpenAIAccountRef, name: str) -> ModelDeployment:
        """Read one deployment.

        Args:
            ref: the Azure OpenAI account.
            name: the deployment's name.

        Returns:
            The deployment's live state.
        """

    @abstractmethod
    def set_model_version(
        self, ref: OpenAIAccountRef, name: str, version: str, *, upgrade_option: str = "NoAutoUpgrade"
    ) -> ModelDeployment:
        """Pin a deployment to an explicit model version (PUT keeping model name, sku and format).

        Args:
            ref: the Azure OpenAI account.
            name: the deployment's name.
            version: an explicit model version, e.g. ``2024-05-13``; never ``latest``.
            upgrade_option: ``NoAutoUpgrade`` (a rollback's pin), or the option a restore puts back.

        Returns:
            The deployment after the change.

        Raises:
            UsageError: the version is empty or not explicit.
        """

    @abstractmethod
    def list_account_models(self, ref: OpenAIAccountRef) -> list[ModelVersionInfo]:
        """List the model versions deployable on the account.

        Args:
            ref: the Azure OpenAI account.

        Returns:
            One entry per model name and version.
        """

    @abstractmethod
    def list_location_models(self, ref: OpenAIAccountRef, location: str) -> list[ModelVersionInfo]:
        """List the model versions offered in a region.

        Args:
            ref: the account (its subscription is the one queried).
            location: the Azure region, e.g. ``eastus``.

        Returns:
            One entry per model name and version.
        """


class PostgresApi(ABC):
    """Azure Database for PostgreSQL flexible server: backups and point-in-time restore."""

    @abstractmethod
    def get_server(self, ref: PostgresServerRef) -> PostgresServerState:
        """Read the server and its backup window.

        Args:
            ref: the server.

        Returns:
            The server's live state.
        """

    @abstractmethod
    def list_backups(self, ref: PostgresServerRef) -> list[Backup]:
        """List the server's automatic and on-demand backups.

        Args:
            ref: the server.

        Returns:
            The backups, in the order Azure lists them.
        """

    @abstractmethod
    def find_server(self, ref: PostgresServerRef, name: str) -> PostgresServerState | None:
        """Read the server called ``name`` in the ref's resource group (None: there is none).

        Args:
            ref: the source server (its subscription and resource group).
            name: the server to read, e.g. a restore's new server.
        """

    @abstractmethod
    def list_servers(self, ref: PostgresServerRef) -> list[PostgresServerState]:
        """Every server in the ref's resource group (restored servers included).

        Args:
            ref: the source server (its subscription and resource group).
        """

    @abstractmethod
    def start_restore(self, ref: PostgresServerRef, *, target_server: str, point_in_time: datetime) -> None:
        """Start restoring the server as it was at ``point_in_time`` into a NEW server; do not wait for it.

        The new server reads ``Provisioning`` until it is ``Ready``; ``find_server`` follows it. The source is
        only read, never written.

        Args:
            ref: the source server.
            target_server: name of the server to create, in the source's resource group.
            point_in_time: a timezone-aware instant within the backup window.

        Raises:
            UsageError: the target is the source, or the time is naive or outside the backup window.
            AzureConflictError: a server called ``target_server`` already exists.
        """


class SearchApi(ABC):
    """Azure AI Search index aliases."""

    @abstractmethod
    def get_alias(self, ref: SearchAliasRef) -> SearchAliasState:
        """Read which index the alias points at.

        Args:
            ref: the alias and its search service.

        Returns:
            The alias and its index.
        """

    @abstractmethod
    def set_alias(self, ref: SearchAliasRef, index: str) -> SearchAliasState:
        """Point the alias at ``index`` (replaces the alias definition).

        Args:
            ref: the alias and its search service.
            index: the index the alias should map to; it must exist.

        Returns:
            The alias after the change.
        """

    @abstractmethod
    def list_indexes(self, ref: SearchAliasRef) -> list[IndexInfo]:
        """List the service's indexes with their document counts.

        Args:
            ref: the alias whose search service is listed.

        Returns:
            Every index of the service.
        """
