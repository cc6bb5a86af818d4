"""Claimed executions: an approved request is a row any replica claims, under a lease on the database's clock.

* The approving replica starts the execution at once; every replica also looks for claimable requests
  every few seconds (``claim_due``): approved and unclaimed, or executing under a lease that ran out. So
  the approving replica dying, or any failure between the approval and the claim, delays an execution by
  seconds; it never strands it (``bot.services.execution``).
* The holder renews its lease before every write (``Lease.fence``: a replica that lost its lease stops
  before writing) and on a heartbeat while a long step runs.
* A drain stops claiming, lets running steps finish until its deadline, then hands over what is still
  running (``hand_over``): the leases are dropped and another replica resumes the executions.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

from bot.domain.plan import StepResult
from bot.errors import LeaseLostError, StoreError
from bot.services import Deps

log = logging.getLogger("rollback_bot.claims")


class Lease:
    """This replica's lease on one execution."""

    def __init__(self, deps: Deps, request_id: int) -> None:
        self.request_id = request_id
        self._deps = deps
        self._lost = threading.Event()

    def _renew(self) -> bool:
        deps = self._deps
        return deps.requests.renew(self.request_id, replica=deps.replica_id, lease_seconds=deps.leases.seconds)

    def fence(self) -> None:
        """Before a write: renew the lease, or stop here when it is no longer this replica's.

        Raises:
            LeaseLostError: handed over (a drain) or taken over by another replica.
        """
        if self._lost.is_set() or not self._renew():
            self._lost.set()
            raise LeaseLostError(f"request #{self.request_id} is no longer executed by this replica")

    def beat(self) -> None:
        """The heartbeat while a step runs: renew; a lost lease makes the next fence stop."""
        if self._lost.is_set():
            return
        try:
            if not self._renew():
                self._lost.set()
                log.warning(
                    "request #%s: lease lost to another replica; stopping before the next write", self.request_id
                )
        except StoreError as exc:  # a database blip: the next beat or fence tries again
            log.warning("request #%s: lease not renewed: %s", self.request_id, exc.user_message)

    def hand_over(self) -> bool:
        """Stop before the next write and drop the lease, so another replica claims the execution at once.
        False when there was nothing to hand over (it finished here meanwhile, or another replica holds it)."""
        self._lost.set()
        return self._deps.requests.release(self.request_id, replica=self._deps.replica_id)


def hand_over(deps: Deps) -> list[int]:
    """At a drain's deadline: give up the leases of the executions still running here (another replica resumes)."""
    handed: list[int] = []
    for lease in deps.local.running():
        try:
            if lease.hand_over():
                handed.append(lease.request_id)
        except Exception as exc:  # the lease then runs out instead: resumed a few seconds later
            log.warning("request #%s: could not hand the lease over (%s); it runs out instead", lease.request_id, exc)
    return handed


def fenced(writes: Iterator[StepResult], fence: Callable[[], None]) -> Iterator[StepResult]:
    """The steps of ``writes`` (a kind's iterator, which writes when advanced), each only after ``fence`` passed."""
    while True:
        fence()
        step = next(writes, None)
        if step is None:
            return
        yield step
