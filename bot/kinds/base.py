"""What a rollback kind is: a definition (``Kind``) and, per environment, a bound kind (``BoundKind``).

A ``Kind`` is registered once. Binding it to one environment's resource (its *handle*: ports and
references, built by the kind's wiring from its configuration block) gives a ``BoundKind``, which the
bot uses for everything about that kind there:

* plan / execute / verify: the rollback itself, from live state, after approval;
* capture / restore: read exactly what a change will touch, and put it back (drills, partial failures);
* changes / read: the 'what changed?' timeline, and live state for status, App Home and inspect;
* contribute: its part of the pre-deploy checklist;
* release_items: its layer of a release (what a release records of it, read now).
"""

from __future__ import annotations

import dataclasses
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from bot.domain.catalog import ChecklistPolicy
from bot.domain.facts import Facts
from bot.domain.findings import Finding
from bot.domain.kinds import KindName
from bot.domain.plan import ChangeEvent, KindState, Plan, StepResult, Verification
from bot.domain.readiness import CheckKey, CheckResult
from bot.domain.releases import LayerItem
from bot.domain.rollback_requests import ServiceEnv
from bot.domain.signals import Group
from bot.errors import UsageError
from bot.ports.health import HealthProbe

S = TypeVar("S", bound=KindState)
H = TypeVar("H")

# A kind's part of one checklist item: a whole verdict (for an item it answers alone) or findings
# that are combined with the other kinds' (item 2, "rollback command documented").
Contribution = CheckResult | Sequence[Finding]


@dataclass(frozen=True)
class KindServices:
    """What the bot lends every bound kind: its clock and the health probe."""

    clock: Callable[[], datetime]
    probe: HealthProbe


@dataclass(frozen=True)
class CheckInputs:
    """What a kind's checklist contribution may use besides its own resource."""

    target: ServiceEnv
    now: datetime
    policy: ChecklistPolicy


class LiveState(ABC):
    """A kind's live state as read now: neutral facts for people, a JSON form for ``inspect --json``."""

    @abstractmethod
    def facts(self) -> Facts:
        """Title, headline and rows (rendered by Slack and the command line)."""

    @abstractmethod
    def to_json(self) -> dict[str, Any]:
        """The documented ``inspect --json`` section of this kind."""


@dataclass(frozen=True)
class Offer:
    """How 'what changed?' offers a kind right now: its label, a note, whether it can run, whether to preselect it."""

    label: str
    note: str = ""
    executable: bool = True
    preferred: bool = False


class BoundKind(ABC, Generic[S]):
    """One kind bound to one environment's resource."""

    kind: KindName
    pointer_step: str = ""  # the step that moves the pointer (a drill's "pointer moved" phase ends with it)
    executes: bool = True  # False: planned only (the plan says what a person runs)
    drillable: bool = True  # False: never drilled (a release rollback: drill its layers one by one)
    # True: always its own request (schema): a release rollback lists it as a separate request, never runs it.
    own_request: bool = False
    # A release rollback runs its layers stage by stage, lowest first; the layers of one stage run concurrently.
    release_stage: int = 1

    @abstractmethod
    def plan(self, *, choice: str | None = None) -> Plan[S]:
        """Build a plan from live state; read-only. ``choice`` picks the target (default: previous known-good).

        Raises:
            UsageError: ``choice`` is not a valid target.
        """

    @abstractmethod
    def capture(self, plan: Plan[S]) -> S:
        """Read, now, exactly the state ``plan`` touches (comparable with ``plan.current``)."""

    @abstractmethod
    def execute(self, plan: Plan[S]) -> Iterator[StepResult]:
        """Make the plan's writes, yielding each finished step; raise a ``RollbackBotError`` when one fails."""

    @abstractmethod
    def verify(self, plan: Plan[S]) -> Verification:
        """Check live state against ``plan.desired`` (read back, health where it applies)."""

    @abstractmethod
    def restore(self, snapshot: S, live: S) -> Iterator[StepResult]:
        """Write ``snapshot`` back over ``live`` (only what differs), yielding each finished step."""

    def undo_partial(self, plan: Plan[S], live: S) -> Iterator[StepResult]:
        """After a failed execution, undo only writes that leave the layer inconsistent (default: none)."""
        return iter(())

    def restorable(self, snapshot: S) -> str | None:
        """Why ``snapshot`` could not be written back, if it could not (a drill then refuses to start)."""
        return None

    @abstractmethod
    def changes(self, *, since: datetime) -> list[ChangeEvent]:
        """Changes of this kind since ``since``, for the 'what changed?' timeline."""

    @abstractmethod
    def read(self) -> LiveState:
        """Live state now."""

    def contribute(self, key: CheckKey, inputs: CheckInputs) -> Contribution | None:
        """This kind's part of checklist item ``key`` (None: it takes no part in that item)."""
        return None

    def release_items(self) -> tuple[LayerItem, ...] | None:
        """This kind's layer of a release, read now (None: it takes no part in releases).

        Each item's ``target`` must be a ``choice`` this kind's ``plan`` accepts, planning the item back to the
        value read now; a release rollback plans, executes and verifies through that.
        """
        return None

    def failing(self) -> str | None:
        """What in this layer's own health fails right now, in one line (None: nothing known to fail). 'What
        changed?' preselects the most recent change to a failing layer when the telemetry shows no error onset."""
        return None

    def offer(self) -> Offer | None:
        """How 'what changed?' offers this kind now (None: by its name, preselected when it changed last)."""
        return None

    def moved_by_others(self, snapshot: S, desired: S, live: S) -> tuple[str, ...]:
        """What in ``live`` is neither as captured nor as the change writes it: someone else moved it (default:
        field by field, ``changed_by_others``). A change resumed half-way, or a restore, stops when this is not
        empty."""
        return changed_by_others(snapshot, desired, live)


class Kind(Generic[H]):
    """A rollback kind's definition: its name, where it is configured, how it binds and how its state decodes.

    ``H`` is its handle (the ports and references it is bound to); ``bind`` makes the ``BoundKind`` for one
    environment (no I/O); ``decode`` reads a stored state back (``ValueError`` when it is not one).
    """

    def __init__(
        self,
        *,
        name: KindName,
        key: str,
        title: str,
        component: str,
        bind: Callable[[H, KindServices], BoundKind[Any]],
        decode: Callable[[Mapping[str, Any]], KindState],
        owns: frozenset[CheckKey] = frozenset(),
        restores: Callable[[Plan[Any]], Group | None] | None = None,
    ) -> None:
        self.name = name
        self.key = key  # its block in an environment's configuration, and its section in ``inspect --json``
        self.title = title  # the section title people read, e.g. "Container app"
        self.component = component  # what is configured, in a sentence: "no {component} configured"
        self.owns = owns  # checklist items this kind answers alone (besides item 2)
        self._bind = bind
        self._decode = decode
        self._restores = restores

    def __repr__(self) -> str:
        return f"Kind({self.name})"

    def bind(self, handle: H, services: KindServices) -> BoundKind[Any]:
        """This kind bound to one environment's resource."""
        return self._bind(handle, services)

    def restored_group(self, plan: Plan[Any]) -> Group | None:
        """What a rollback with ``plan`` puts back, as the LLM calls are grouped in the telemetry (a revision, a
        prompt version, a model version): the proof after rollback watches it. None: nothing to watch."""
        return self._restores(plan) if self._restores is not None else None

    def decode_state(self, data: Mapping[str, Any]) -> KindState:
        """A stored state (``to_json`` of this kind's state) back as a value.

        Raises:
            ValueError: the data is not a state of this kind (or of a version it reads).
        """
        return self._decode(data)


_WRITE_FENCE: ContextVar[Callable[[], None] | None] = ContextVar("rollback_bot_write_fence", default=None)


@contextmanager
def write_fence(fence: Callable[[], None]) -> Iterator[None]:
    """While the block runs, ``before_write()`` calls ``fence`` (the execution's lease: it raises once lost)."""
    token = _WRITE_FENCE.set(fence)
    try:
        yield
    finally:
        _WRITE_FENCE.reset(token)


def before_write() -> None:
    """A kind that writes from threads of its own calls this before each write: the execution's fence, if any.

    Raises:
        LeaseLostError: this replica no longer executes the change (another one carries on).
    """
    fence = _WRITE_FENCE.get()
    if fence is not None:
        fence()


def timed(name: str, action: Callable[[], tuple[str, dict[str, Any]]]) -> StepResult:
    """Run one step and time it; ``action`` returns (detail, data)."""
    started = time.monotonic()
    detail, data = action()
    return StepResult(name=name, ok=True, seconds=round(time.monotonic() - started, 3), detail=detail, data=data)


def check(name: str, action: Callable[[], tuple[bool, str]]) -> StepResult:
    """Run one verification check and time it; ``action`` returns (held, detail)."""
    started = time.monotonic()
    ok, detail = action()
    return StepResult(name=name, ok=ok, seconds=round(time.monotonic() - started, 3), detail=detail)


def changed_by_others(snapshot: KindState, desired: KindState, live: KindState) -> tuple[str, ...]:
    """Fields of ``live`` that are neither as captured nor as the change wrote them: someone else moved them.

    A state is a dataclass; each field is compared on its own, so a change that wrote only some of its
    fields before failing still counts as the change's own doing.
    """
    names = [f.name for f in dataclasses.fields(live)]  # type: ignore[arg-type]
    return tuple(name for name in names if getattr(live, name) not in (getattr(snapshot, name), getattr(desired, name)))


def require_state(plan: Plan[S]) -> tuple[S, S]:
    """The plan's current and desired states, or a ``UsageError`` when it cannot be carried out."""
    if plan.current is None or plan.desired is None or not plan.executable:
        raise UsageError(plan.blocked_reason or "This plan cannot be executed; build a new one with `/rollback`.")
    return plan.current, plan.desired
