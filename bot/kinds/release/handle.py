"""What the release kind is bound to: the environment's other bound kinds, the release log, the kind definitions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.kinds import KindName
from bot.domain.rollback_requests import ServiceEnv
from bot.kinds.base import BoundKind
from bot.kinds.registry import Kinds
from bot.ports.releases import ReleaseLog


@dataclass(frozen=True)
class ReleaseHandle:
    """One environment's layers (its other bound kinds, in registry order) and where its releases are recorded."""

    target: ServiceEnv
    layers: Mapping[KindName, BoundKind[Any]]
    releases: ReleaseLog
    kinds: Kinds  # the kind definitions, to read the kinds' states back from a stored plan
