"""What a model rollback touches: one deployment's model pin (name, version, upgrade option)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.azure import ModelDeployment

VERSION = 1


@dataclass(frozen=True)
class ModelPin:
    """The model a deployment runs and whether Azure may move it forward by itself."""

    deployment: str
    model: str | None
    version: str | None
    upgrade_option: str | None

    @classmethod
    def of(cls, dep: ModelDeployment) -> ModelPin:
        """The pin of a deployment as read from Azure."""
        return cls(dep.name, dep.model, dep.version, dep.version_upgrade_option)

    def to_json(self) -> dict[str, Any]:
        """Versioned JSON."""
        return {
            "v": VERSION,
            "deployment": self.deployment,
            "model": self.model,
            "version": self.version,
            "upgrade_option": self.upgrade_option,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelPin:
        """Inverse of ``to_json``."""
        if data.get("v") != VERSION:
            raise ValueError(f"not a model state of version {VERSION}: {data.get('v')!r}")
        return cls(str(data["deployment"]), data.get("model"), data.get("version"), data.get("upgrade_option"))

    def describe(self) -> str:
        """``gpt4o-stable: gpt-4o 2024-05-13 (NoAutoUpgrade)``."""
        return f"{self.deployment}: {self.model} {self.version} ({self.upgrade_option or 'upgrade option?'})"
