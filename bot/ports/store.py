"""Ports for the bot's own durable state."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.domain.readiness import ChecklistClaim, ChecklistReport, DrillRecord
from bot.domain.retention import Pruned
from bot.domain.rollback_requests import AuditEvent, NewRequest, RequestStatus, RollbackRequest, ServiceEnv
from bot.domain.slots import HolderKind, SlotHolder


class TargetSlots(ABC):
    """One change in flight per service/environment, held in the database (a unique row per target).

    Requests (rollbacks and drills) take their target's slot when they are stored and give it back when
    they finish (``RequestRepository``). A process that changes a target without a request (a deploy, a
    schema restore …) holds it here under a lease on the database's clock, which it renews; a holder that
    stops renewing loses the slot once the lease has run out.
    """

    @abstractmethod
    def acquire(self, target: ServiceEnv, *, kind: HolderKind, ref: str, who: str, lease_seconds: float) -> SlotHolder:
        """Hold ``target``'s slot for ``lease_seconds`` (a slot whose lease ran out is taken over).

        Raises:
            RollbackInProgressError: something else holds it; the message names the holder and since when.
        """

    @abstractmethod
    def renew(self, holder: SlotHolder, *, lease_seconds: float) -> SlotHolder:
        """Extend ``holder``'s lease by ``lease_seconds`` from now.

        Raises:
            LeaseLostError: the slot is no longer ``holder``'s (its lease ran out and someone else took it).
        """

    @abstractmethod
    def release(self, holder: SlotHolder) -> None:
        """Give the slot back (nothing happens when it is no longer ``holder``'s)."""

    @abstractmethod
    def holder(self, target: ServiceEnv) -> SlotHolder | None:
        """Who holds ``target``'s slot now, if anyone."""


class RequestRepository(ABC):
    """Rollback requests, stored durably and shared by every replica.

    Times that decide anything (expiry, leases, heartbeats) are the database's, never a replica's clock.
    """

    @abstractmethod
    def now(self) -> datetime:
        """The database's clock."""

    @abstractmethod
    def add(self, new: NewRequest, *, claim: tuple[str, float] | None = None) -> RollbackRequest:
        """Store a new request (expiring ``new.ttl`` from now), holding its target's slot.

        With ``claim`` (a replica and lease seconds) an approved request is stored already claimed by that
        replica (``executing``, one claim): the caller runs it itself, no claim loop takes it.

        Raises:
            RollbackInProgressError: the target's slot is held (by a request, a drill or a process); the
                message names the holder and since when.
        """

    @abstractmethod
    def get(self, request_id: int) -> RollbackRequest:
        """Return the request with ``request_id``.

        Raises:
            NotFoundError: there is no such request.
        """

    @abstractmethod
    def transition(
        self,
        request_id: int,
        *,
        from_status: RequestStatus,
        to_status: RequestStatus,
        version: int,
        approver_id: str | None = None,
        decided_at: datetime | None = None,
        result: dict[str, Any] | None = None,
    ) -> RollbackRequest:
        """Atomically move a request from ``from_status`` at ``version`` to ``to_status``.

        This is a single conditional UPDATE in the database, so of any number of concurrent callers
        (threads, replicas) at most one succeeds. A terminal ``to_status`` releases the in-flight slot.

        Raises:
            AlreadyDecidedError: the request is no longer in ``from_status`` at ``version``.
        """

    @abstractmethod
    def claim(self, request_id: int, *, replica: str, lease_seconds: float) -> RollbackRequest | None:
        """Claim the execution of an approved request, or take over one whose lease ran out.

        One conditional UPDATE: of any number of concurrent claimants (threads, replicas) at most one gets
        the request back (``executing``, its lease held by ``replica`` for ``lease_seconds``, ``claims`` + 1,
        a new ``version``); the others get None.
        """

    @abstractmethod
    def claimable(self, *, limit: int = 20) -> Sequence[int]:
        """Requests waiting for a replica: approved and unclaimed, or executing with a lease that ran out."""

    @abstractmethod
    def renew(self, request_id: int, *, replica: str, lease_seconds: float) -> bool:
        """Heartbeat: extend ``replica``'s lease on the execution; False when it no longer holds it."""

    @abstractmethod
    def release(self, request_id: int, *, replica: str) -> bool:
        """Hand the execution over: drop ``replica``'s lease so another replica claims it at once."""

    @abstractmethod
    def set_message(self, request_id: int, message_ts: str) -> None:
        """Remember where the request's card was posted."""

    @abstractmethod
    def list_by_status(self, statuses: Sequence[RequestStatus]) -> Sequence[RollbackRequest]:
        """Requests currently in any of ``statuses``, oldest first."""

    @abstractmethod
    def find_in_flight(self, target: ServiceEnv) -> RollbackRequest | None:
        """The request holding ``target``'s in-flight slot, if any."""

    @abstractmethod
    def list_recent(self, *, target: ServiceEnv | None = None, limit: int = 20) -> Sequence[RollbackRequest]:
        """Most recent requests first, optionally for one service/environment."""


class AuditLog(ABC):
    """Append-only record of everything that happened."""

    @abstractmethod
    def append(self, event: AuditEvent) -> None:
        """Record one event; never updates or deletes."""

    @abstractmethod
    def list(self, *, request_id: int | None = None, limit: int = 100) -> Sequence[AuditEvent]:
        """Events in the order they were written, optionally for one request."""


class HealthCheck(ABC):
    """Readiness of a dependency."""

    @abstractmethod
    def ping(self) -> None:
        """Return quietly when reachable.

        Raises:
            StoreError: the dependency is unreachable.
        """


class DrillLog(ABC):
    """Recorded rollback drills."""

    @abstractmethod
    def record(self, drill: DrillRecord) -> DrillRecord:
        """Store a finished drill; returns it with its id."""

    @abstractmethod
    def last_passing(self, target: ServiceEnv) -> DrillRecord | None:
        """The most recent passing drill for ``target``."""

    @abstractmethod
    def recent(self, target: ServiceEnv, *, limit: int = 10) -> Sequence[DrillRecord]:
        """Most recent drills first."""


class ChecklistLog(ABC):
    """Checklist results and the claims that make exactly one replica post each scheduled run."""

    @abstractmethod
    def record(self, report: ChecklistReport, *, trigger: str) -> int:
        """Store a result; returns its id."""

    @abstractmethod
    def set_posted(self, run_id: int, *, channel: str, ts: str) -> None:
        """Remember where the result was posted."""

    @abstractmethod
    def latest(self, target: ServiceEnv) -> ChecklistReport | None:
        """The newest stored result for ``target``."""

    @abstractmethod
    def report(self, run_id: int) -> ChecklistReport | None:
        """The stored result ``run_id``, if it is still kept."""

    @abstractmethod
    def claim(
        self, target: ServiceEnv, *, fire_time: datetime, replica: str, lease_until: datetime, attempts: int = 1
    ) -> ChecklistClaim | None:
        """Claim a scheduled fire time: a claim for exactly one caller across all replicas (a unique row), else None.

        The claim is held until ``lease_until`` unless it is marked posted or its lease is extended. ``attempts``
        counts as used already (a fire time recorded as missed is claimed with every attempt used: never run).
        """

    @abstractmethod
    def take_over(
        self, *, now: datetime, replica: str, lease_until: datetime, max_attempts: int, since: datetime, limit: int
    ) -> Sequence[ChecklistClaim]:
        """Take over unposted claims whose lease ran out (a crash, a failed post), atomically, across replicas.

        Only claims for fire times after ``since`` with fewer than ``max_attempts`` holders so far; each
        taken claim counts one more attempt and is held until ``lease_until``.
        """

    @abstractmethod
    def claim_ran(self, claim: ChecklistClaim, run_id: int) -> ChecklistClaim:
        """Remember that the claim's checklist ran as ``run_id`` (a later holder posts that run)."""

    @abstractmethod
    def extend_lease(self, claim: ChecklistClaim, until: datetime) -> None:
        """Hold the claim until ``until`` (a post paced for later, or a retry after a failed one)."""

    @abstractmethod
    def claim_posted(self, claim: ChecklistClaim) -> None:
        """The claim's run was posted: nothing is left to retry."""

    @abstractmethod
    def reserve_post_slot(self, channel: str, *, now: datetime, interval: timedelta) -> datetime:
        """Reserve ``channel``'s next posting slot (atomic across replicas): ``now``, or ``interval`` after the last."""


class Retention(ABC):
    """Removing old records: the only way anything leaves the audit log."""

    @abstractmethod
    def prune(self, cutoff: datetime, *, dry_run: bool = False) -> Pruned:
        """Remove (or, with ``dry_run``, count) records older than ``cutoff``, in one transaction.

        Requests still in flight are never removed, nor any request whose audit trail or drill is newer
        than ``cutoff``; audit events go only with their (removed) request, or when they belong to none.
        """
