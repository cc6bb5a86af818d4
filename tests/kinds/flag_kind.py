"""A kind registered only in tests: feature flags, rolled back to their previous value.

It is written the way docs/architecture.md says to add a kind, and imports nothing but the registry's
public API (``bot.kinds`` and ``bot.kinds.edge``; tests/kinds/test_registered_kind.py checks that). Its
resource is an in-memory flag store behind its own tiny port.

    registry = BUILTIN.with_(PLUGIN)
    # configuration, per environment:  feature_flags: {store: demo, flag: new-checkout}
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.kinds import (
    BoundKind,
    ChangeEvent,
    CheckInputs,
    CheckKey,
    Choice,
    Contribution,
    Facts,
    Kind,
    KindServices,
    LiveState,
    Plan,
    StepResult,
    UsageError,
    Verification,
    check,
    kind_name,
    plan_findings,
    require_state,
    timed,
)
from bot.kinds.edge import BindContext, ConfigBlock, KindPlugin, NonEmpty

FLAG = kind_name("flag")


# --- its port and an in-memory resource -----------------------------------------------------------


class FlagPort(ABC):
    """Feature flags: read one, set one, and when each value was set."""

    @abstractmethod
    def value(self, flag: str) -> str:
        """The flag's current value."""

    @abstractmethod
    def set(self, flag: str, value: str, *, at: datetime) -> None:
        """Give the flag a value."""

    @abstractmethod
    def history(self, flag: str) -> list[tuple[datetime, str]]:
        """Every value the flag had, oldest first."""


class MemoryFlags(FlagPort):
    """Flags in memory, shared by the test and the bot it runs (thread-safe)."""

    def __init__(self, values: Mapping[str, list[tuple[datetime, str]]]) -> None:
        self._lock = threading.Lock()
        self._history = {flag: list(changes) for flag, changes in values.items()}

    def value(self, flag: str) -> str:
        with self._lock:
            if flag not in self._history:
                raise UsageError(f"there is no flag {flag!r}")
            return self._history[flag][-1][1]

    def set(self, flag: str, value: str, *, at: datetime) -> None:
        with self._lock:
            self._history[flag].append((at, value))

    def history(self, flag: str) -> list[tuple[datetime, str]]:
        with self._lock:
            return list(self._history[flag])


STORES: dict[str, FlagPort] = {}  # the stores a configuration can name (tests put theirs here)


# --- its state, bound kind and definition ---------------------------------------------------------


@dataclass(frozen=True)
class FlagValue:
    """One flag's value."""

    flag: str
    value: str

    def to_json(self) -> dict[str, Any]:
        return {"v": 1, "flag": self.flag, "value": self.value}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FlagValue:
        if data.get("v") != 1:
            raise ValueError("not a flag state of version 1")
        return cls(str(data["flag"]), str(data["value"]))

    def describe(self) -> str:
        return f"{self.flag} = {self.value}"


@dataclass(frozen=True)
class FlagHandle:
    """The flag kind bound to one store and one flag."""

    store: FlagPort
    flag: str


class FlagLive(LiveState):
    def __init__(self, flag: str, history: list[tuple[datetime, str]]) -> None:
        self.flag, self.history = flag, history

    def facts(self) -> Facts:
        rows = tuple((f"{at:%Y-%m-%d %H:%M}", value) for at, value in reversed(self.history))
        return Facts("Feature flags", f"{self.flag} = {self.history[-1][1]}", ("SET AT", "VALUE"), rows)

    def to_json(self) -> dict[str, Any]:
        return {"flag": self.flag, "value": self.history[-1][1], "history": [v for _, v in self.history]}


class FlagRollback(BoundKind[FlagValue]):
    """Sets a flag back to the value it had before its latest change."""

    kind = FLAG
    pointer_step = "set flag"

    def __init__(self, handle: FlagHandle, services: KindServices) -> None:
        self._store, self._flag, self._clock = handle.store, handle.flag, services.clock

    def plan(self, *, choice: str | None = None) -> Plan[FlagValue]:
        history = self._store.history(self._flag)
        now = history[-1][1]
        earlier = list(dict.fromkeys(v for _, v in reversed(history[:-1]) if v != now))
        target = choice or (earlier[0] if earlier else None)
        if target is not None and target not in earlier:
            raise UsageError(f"{target!r} is not an earlier value of {self._flag}")
        current = FlagValue(self._flag, now)
        desired = FlagValue(self._flag, target) if target else None
        return Plan(
            kind=FLAG,
            choice=target or "",
            current=current,
            desired=desired,
            current_text=current.describe(),
            desired_text=desired.describe() if desired else "—",
            commands=(f"flags set {self._flag} {target}",) if target else (),
            roll_forward=(f"flags set {self._flag} {now}",),
            steps=(self.pointer_step, "verify flag"),
            choices=tuple(Choice(v, f"{self._flag} = {v}") for v in earlier),
            blocked_reason=None if target else f"{self._flag} never had another value.",
        )

    def capture(self, plan: Plan[FlagValue]) -> FlagValue:
        return FlagValue(self._flag, self._store.value(self._flag))

    def _set(self, to: FlagValue) -> tuple[str, dict[str, Any]]:
        self._store.set(to.flag, to.value, at=self._clock())
        return f"{to.flag} set to {to.value}", {}

    def execute(self, plan: Plan[FlagValue]) -> Iterator[StepResult]:
        _, desired = require_state(plan)
        yield timed(self.pointer_step, lambda: self._set(desired))

    def verify(self, plan: Plan[FlagValue]) -> Verification:
        _, desired = require_state(plan)
        live = self._store.value(self._flag)
        return Verification((check("verify flag", lambda: (live == desired.value, f"{self._flag} reads {live}")),))

    def restore(self, snapshot: FlagValue, live: FlagValue) -> Iterator[StepResult]:
        if live != snapshot:
            yield timed("restore flag", lambda: self._set(snapshot))

    def changes(self, *, since: datetime) -> list[ChangeEvent]:
        return [
            ChangeEvent(at, FLAG, f"flag {self._flag} set to {value}")
            for at, value in self._store.history(self._flag)
            if at >= since
        ]

    def read(self) -> LiveState:
        return FlagLive(self._flag, self._store.history(self._flag))

    def failing(self) -> str | None:
        """The flag's own health: 'on' is the new code path, and this store says it fails."""
        value = self._store.value(self._flag)
        return f"flag {self._flag} is {value} and its code path fails" if value == "on" else None

    def contribute(self, key: CheckKey, inputs: CheckInputs) -> Contribution | None:
        return plan_findings(self) if key is CheckKey.rollback_command else None


KIND: Kind[FlagHandle] = Kind(
    name=FLAG,
    key="feature_flags",
    title="Feature flags",
    component="feature flag store",
    bind=FlagRollback,
    decode=FlagValue.from_json,
)


# --- its edge half: configuration block and binding -----------------------------------------------


class FlagConfig(ConfigBlock):
    """``feature_flags: {store: NAME, flag: FLAG}``."""

    store: NonEmpty
    flag: NonEmpty


def bind(block: FlagConfig, ctx: BindContext) -> FlagHandle:
    if block.store not in STORES:
        raise UsageError(f"there is no flag store {block.store!r}")
    return FlagHandle(STORES[block.store], block.flag)


PLUGIN = KindPlugin(kind=KIND, block=FlagConfig, bind=bind)
