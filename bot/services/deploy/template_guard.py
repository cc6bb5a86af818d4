"""The deploy guard as a ``TemplateGuard``: what a database cut-over runs its template change through.

All at once (one step to 100 %) once the new revision passed its health gate: a cut-over must not split the
application's traffic between two databases. The environment's ``deploy`` settings give the gate (attempts,
interval, how long the revision may take to start). Each write first passes the running execution's fence.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot.domain.azure import ContainerAppRef, Revision
from bot.domain.deploy import DeployPolicy, TemplateChange
from bot.domain.secrets import SecretText
from bot.kinds import before_write
from bot.ports.azure import ContainerAppsApi
from bot.ports.guard import GuardedChange, TemplateGuard
from bot.ports.health import HealthProbe
from bot.services.deploy.guard import GuardPorts, guarded_change


class DeployTemplateGuard(TemplateGuard):
    """``guarded_change`` with one step to 100 %, the environment's gate settings and the execution's fence."""

    def __init__(self, *, probe: HealthProbe, clock: Callable[[], datetime], policy: DeployPolicy) -> None:
        self._probe = probe
        self._clock = clock
        self._policy = replace(policy, steps=(100,), step_seconds=0.0)

    def change(
        self,
        api: ContainerAppsApi,
        ref: ContainerAppRef,
        health_url_of: Callable[[Revision], SecretText],
        change: TemplateChange,
        *,
        suffix: str,
    ) -> GuardedChange:
        ports = GuardPorts(
            api=api,
            ref=ref,
            health_url_of=health_url_of,
            probe=self._probe,
            telemetry=None,
            clock=self._clock,
            pause=time.sleep,
            before_write=before_write,
        )
        result = guarded_change(ports, change, suffix=suffix, settings=self._policy, target=ref.name)
        return GuardedChange(
            result.promoted, result.revision, result.reason, result.before, result.after, result.evidence
        )
