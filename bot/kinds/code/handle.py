"""What the code kind is bound to: the Container Apps port, one app, and its health URL template."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.azure import ContainerAppRef, Revision
from bot.ports.azure import ContainerAppsApi


@dataclass(frozen=True)
class CodeHandle:
    """The code kind bound to one container app: its port, its reference and where revisions answer health."""

    api: ContainerAppsApi
    ref: ContainerAppRef
    health_path: str = "/health/ready"
    # {fqdn}, {revision}, {app} and {path} are filled in from live state whenever a health check runs.
    health_url: str = "https://{fqdn}{path}"

    def health_url_of(self, revision: Revision) -> str:
        """Where ``revision`` answers health, from the configuration and live state now (never stored)."""
        return self.health_url.format(
            fqdn=revision.fqdn or "", revision=revision.name, app=self.ref.name, path=self.health_path
        )
