"""Leases on executions: how long a replica may hold one without renewing it, and how often it renews.

An approved request is a row any replica claims; the claim is a lease on the database's clock. The
holder renews it before every write and on a heartbeat in between; a replica that dies, hangs or is cut
off stops renewing, and once the lease has run out another replica claims the execution and resumes it.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_LEASE_SECONDS = 15.0


@dataclass(frozen=True)
class LeasePolicy:
    """``seconds`` a lease lasts; renewed every ``seconds / 3``; claims are looked for every ``claim_every``.

    An execution is claimed at most ``max_claims`` times: one that keeps losing its replica (say, it crashes
    the process every time) is then closed as failed instead of being resumed again.
    """

    seconds: float = DEFAULT_LEASE_SECONDS
    claim_every: float = 2.0
    max_claims: int = 3

    @property
    def heartbeat(self) -> float:
        """Seconds between renewals while a step runs."""
        return self.seconds / 3
