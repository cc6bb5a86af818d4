"""What the code kind is bound to: the Container Apps port, one app, and its health URL template."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.azure import ContainerAppRef, Revision
from bot.domain.secrets import SecretText
from bot.ports.azure import ContainerAppsApi


@dataclass(frozen=True)
class CodeHandle:
    """The code kind bound to one container app: its port, its reference and where revisions answer health."""

    api: ContainerAppsApi
    ref: ContainerAppRef
    health_path: str = "/health/ready"
    # {fqdn}, {revision}, {app} and {path} are filled in from live state whenever a health check runs; a key
    # it carries (from a ${VAR} reference) stays a secret: shown redacted, revealed only to the HTTP call.
    health_url: SecretText | str = field(default_factory=lambda: SecretText.plain("https://{fqdn}{path}"))

    def health_url_of(self, revision: Revision) -> SecretText:
        """Where ``revision`` answers health, from the configuration and live state now (never stored)."""
        template = self.health_url if isinstance(self.health_url, SecretText) else SecretText.plain(self.health_url)
        return template.format(
            fqdn=revision.fqdn or "", revision=revision.name, app=self.ref.name, path=self.health_path
        )
