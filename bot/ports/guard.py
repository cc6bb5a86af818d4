"""Port for the deploy guard's template change, for features other than a deploy (a database cut-over)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.azure import ContainerAppRef, Revision
from bot.domain.deploy import TemplateChange
from bot.domain.secrets import SecretText
from bot.domain.traffic import TrafficRules
from bot.ports.azure import ContainerAppsApi


@dataclass(frozen=True)
class GuardedChange:
    """How a guarded template change ended: promoted (traffic on the new revision), or restored (``reason``)."""

    promoted: bool
    revision: str
    reason: str
    before: TrafficRules
    after: TrafficRules
    evidence: tuple[str, ...] = ()


class TemplateGuard(ABC):
    """A template change through the deploy guard: the new revision is created at 0 %, must pass the health gate,
    and only then takes the traffic; otherwise the traffic is put back exactly as the change found it."""

    @abstractmethod
    def change(
        self,
        api: ContainerAppsApi,
        ref: ContainerAppRef,
        health_url_of: Callable[[Revision], SecretText],
        change: TemplateChange,
        *,
        suffix: str,
    ) -> GuardedChange:
        """Run ``change`` as revision ``<app>--<suffix>``, all at once once its gate passed (no canary steps).

        Raises:
            UsageError: the app is not in Multiple revisions mode, or the revision's name is taken.
            AzureError: reading the app or the creating PATCH failed (traffic never moved).
            LeaseLostError: the execution running it was taken over (checked before each write).
        """
