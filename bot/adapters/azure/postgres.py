"""``PostgresApi`` over azure-mgmt-postgresqlflexibleservers: servers, backups, starting a PITR into a new server."""

from __future__ import annotations

from datetime import datetime

from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient
from azure.mgmt.postgresqlflexibleservers import models as m

from bot.adapters.azure.clients import AzureClients
from bot.adapters.azure.errors import Call, translate
from bot.adapters.azure.snapshot import snapshot_read
from bot.adapters.azure.values import enum_text, parse_time
from bot.domain.azure import Backup, PostgresServerRef, PostgresServerState
from bot.errors import AzureConflictError, AzureNotFoundError, UsageError
from bot.ports.azure import PostgresApi

ROLE = "rollback-bot PostgreSQL restore operator"
_READ = "Microsoft.DBforPostgreSQL/flexibleServers/read"
_KIND = "PostgreSQL flexible server"


class AzurePostgresApi(PostgresApi):
    """PostgreSQL flexible servers through the real management SDK."""

    def __init__(self, *, clients: AzureClients) -> None:
        self._clients = clients
        self._by_subscription: dict[str, PostgreSQLManagementClient] = {}

    def _client(self, ref: PostgresServerRef) -> PostgreSQLManagementClient:
        """One SDK client per subscription, built on first use."""
        if ref.subscription_id not in self._by_subscription:
            self._by_subscription[ref.subscription_id] = self._clients.postgres(ref.subscription_id)
        return self._by_subscription[ref.subscription_id]

    @snapshot_read
    def get_server(self, ref: PostgresServerRef) -> PostgresServerState:
        """Read the server and its backup window."""
        return _server(self._get(ref, ref.server))

    def _get(self, ref: PostgresServerRef, name: str) -> m.Server:
        """The SDK server called ``name`` in the ref's resource group."""
        with translate(_call("read the server", ref, name, _READ)):
            return self._client(ref).servers.get(ref.resource_group, name)

    @snapshot_read
    def list_backups(self, ref: PostgresServerRef) -> list[Backup]:
        """List the server's automatic and on-demand backups."""
        call = _call("list backups", ref, ref.server, "Microsoft.DBforPostgreSQL/flexibleServers/backups/read")
        with translate(call):
            pages = self._client(ref).backups_automatic_and_on_demand.list_by_server(ref.resource_group, ref.server)
            return [_backup(b) for b in pages]

    def find_server(self, ref: PostgresServerRef, name: str) -> PostgresServerState | None:
        """The server called ``name`` in the ref's resource group, or None."""
        try:
            return _server(self._get(ref, name))
        except AzureNotFoundError:
            return None

    @snapshot_read
    def list_servers(self, ref: PostgresServerRef) -> list[PostgresServerState]:
        """Every server of the ref's resource group."""
        with translate(_call("list servers", ref, ref.resource_group, _READ)):
            return [_server(s) for s in self._client(ref).servers.list_by_resource_group(ref.resource_group)]

    def start_restore(self, ref: PostgresServerRef, *, target_server: str, point_in_time: datetime) -> None:
        """PUT a NEW server with ``createMode: PointInTimeRestore`` from the source; return once Azure accepted it.

        The source is only read (GET); the one write is the PUT of ``target_server``, refused here when that name
        is the source's or is taken.
        """
        source = self._get(ref, ref.server)
        _check_restore(ref, source, target_server, point_in_time)
        self._refuse_existing(ref, target_server)
        body = m.Server(
            location=source.location,
            properties=m.ServerProperties(
                create_mode=m.CreateMode.POINT_IN_TIME_RESTORE,
                source_server_resource_id=source.id or ref.resource_id,
                point_in_time_utc=point_in_time,
            ),
        )
        call = _call("restore to a new server", ref, target_server, "Microsoft.DBforPostgreSQL/flexibleServers/write")
        with translate(call):
            self._client(ref).servers.begin_create_or_update(ref.resource_group, target_server, body, polling=False)

    def _refuse_existing(self, ref: PostgresServerRef, target_server: str) -> None:
        """A restore always creates a new server: refuse a target name that is taken."""
        try:
            self._get(ref, target_server)
        except AzureNotFoundError:
            return
        raise AzureConflictError(
            f"{_KIND} '{target_server}' already exists in resource group '{ref.resource_group}'; a point-in-time "
            "restore creates a NEW server — choose another name.",
            operation="restore to a new server",
            resource=target_server,
            status_code=409,
        )


def _call(operation: str, ref: PostgresServerRef, name: str, permission: str) -> Call:
    """The context of one PostgreSQL call, for error messages."""
    return Call(operation, _KIND, name, permission, ref.resource_group_id, ROLE)


def _check_restore(ref: PostgresServerRef, source: m.Server, target: str, point_in_time: datetime) -> None:
    """A new target name and an aware point in time inside the source's backup window."""
    if not target.strip() or target == ref.server:
        raise UsageError(f"restore into a NEW server: the target name must differ from '{ref.server}'")
    if point_in_time.tzinfo is None:
        raise UsageError("the restore point must carry a time zone (e.g. 2026-05-08T14:30:00Z)")
    earliest = _server(source).earliest_restore_date
    if earliest is not None and point_in_time < earliest:
        raise UsageError(
            f"cannot restore '{ref.server}' to {point_in_time.isoformat()}: the earliest restore point is "
            f"{earliest.isoformat()}"
        )


def _server(server: m.Server) -> PostgresServerState:
    """The domain view of an SDK server."""
    props = server.properties or m.ServerProperties()
    backup = props.backup
    return PostgresServerState(
        name=server.name or "",
        state=enum_text(props.state),
        location=server.location,
        version=enum_text(props.version),
        earliest_restore_date=parse_time(backup.earliest_restore_date) if backup else None,
        backup_retention_days=backup.backup_retention_days if backup else None,
        fqdn=props.fully_qualified_domain_name,
        created=parse_time(server.system_data.created_at) if server.system_data else None,
    )


def _backup(backup: m.BackupAutomaticAndOnDemand) -> Backup:
    """The domain view of an SDK backup."""
    props = backup.properties
    return Backup(
        name=backup.name or "",
        completed_time=parse_time(props.completed_time) if props else None,
        type=enum_text(props.backup_type) if props else None,
        source=props.source if props else None,
    )
