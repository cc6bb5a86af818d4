"""The deploy guard's pure rules: canary steps, outcomes and exit codes, and the traffic lists it writes.

A deploy creates a new revision with **0 %** and moves traffic to it step by step. Every list it writes is
derived from the list that was live before it (``before``) and the revision that list's ``latestRevision``
rules served then (``latest``):

* :func:`creating_rules` (the PATCH that creates the revision): every rule kept in place with its weight and
  label, a ``latestRevision`` rule pinned by name to the revision it served (left as it is it would follow the
  new revision at once), and ``{revisionName: NEW, weight: 0}`` appended;
* :func:`step_rules` (a canary step): that list with NEW at the step's weight and the other serving rules
  scaled down so the total stays 100;
* :func:`promoted_rules` (the gates passed): the original list in its original form, every rule at 0 % except
  that a ``latestRevision`` rule takes 100 % (it now serves NEW); without one NEW is appended at 100 %;
* :func:`restored_rules` (a gate failed, or an abort): exactly what ``before`` served, every rule, weight and
  label as it was, a ``latestRevision`` rule pinned by name to the revision it served. NEW stays at 0 %.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum

from bot.domain.traffic import TrafficRule, TrafficRules
from bot.errors import UsageError

_SUFFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ExitCode(IntEnum):
    """``rollback-bot deploy``'s exit codes."""

    promoted = 0
    rolled_back = 1  # a gate failed, or someone aborted: traffic is back where it was
    could_not_run = 2  # bad input or configuration, or Azure failed before any traffic moved
    refused = 3  # a freeze, another change in flight, or the checklist (deploy.require_checklist)


class DeployState(StrEnum):
    """Where a deploy is."""

    starting = "starting"
    creating = "creating revision"
    waiting = "waiting for the revision"
    gating = "health gate"
    canary = "canary"
    promoted = "promoted"
    rolling_back = "rolling back"
    rolled_back = "rolled back"
    failed = "failed"

    @property
    def finished(self) -> bool:
        return self in (DeployState.promoted, DeployState.rolled_back, DeployState.failed)


def parse_steps(text: str | Sequence[int]) -> tuple[int, ...]:
    """``"5,25,100"`` → ``(5, 25, 100)``: whole percents, rising, the last one 100.

    Raises:
        UsageError: anything else.
    """
    if isinstance(text, str):
        parts = [p.strip() for p in text.split(",") if p.strip()]
        try:
            steps = tuple(int(p.rstrip("%")) for p in parts)
        except ValueError:
            raise UsageError(f"Canary steps {text!r} are not whole percents like 5,25,100.") from None
    else:
        steps = tuple(int(s) for s in text)
    if not steps:
        raise UsageError("Give at least one canary step (100 moves everything at once).")
    if any(not 1 <= s <= 100 for s in steps) or any(b <= a for a, b in itertools.pairwise(steps)):
        raise UsageError(f"Canary steps must rise from 1 to 100 % ({','.join(map(str, steps))} do not).")
    if steps[-1] != 100:
        raise UsageError(f"The last canary step must be 100 % (got {steps[-1]} %).")
    return steps


def check_suffix(suffix: str) -> str:
    """A revision suffix Azure accepts: lower-case letters, digits and inner dashes, at most 64 characters."""
    if not _SUFFIX.match(suffix) or "--" in suffix:
        raise UsageError(f"Revision suffix {suffix!r}: use lower-case letters, digits and single inner dashes.")
    return suffix


@dataclass(frozen=True)
class TemplateChange:
    """What a guarded change writes into the app's template: a new image and/or environment variables.

    ``container`` names the container changed (default: the template's first). Environment values are
    written as given (plain values; a secret belongs in a Container Apps secret reference, not here).
    """

    image: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    container: str | None = None

    def __post_init__(self) -> None:
        if not self.image and not self.env:
            raise UsageError("A template change needs an image or an environment variable.")
        if self.image is not None and (not self.image.strip() or any(c.isspace() for c in self.image)):
            raise UsageError(f"Image {self.image!r} is not an image reference.")
        for name, _ in self.env:
            if not _ENV_NAME.match(name):
                raise UsageError(f"Environment variable name {name!r} is not valid.")

    def describe(self) -> str:
        """``image acr.io/app:1.6.0``, ``DATABASE_HOST=…`` (names only for variables)."""
        parts = [f"image {self.image}"] if self.image else []
        parts += [f"env {name}" for name, _ in self.env]
        return ", ".join(parts)


def _pinned(before: TrafficRules, latest: str) -> list[TrafficRule]:
    """``before`` with each ``latestRevision`` rule named after the revision it served (weight, label kept)."""
    if not before.rules:
        return [TrafficRule(weight=100, revision=latest)]
    return [replace(r, revision=latest, latest_revision=False) if r.latest_revision else r for r in before.rules]


def restored_rules(before: TrafficRules, latest: str) -> TrafficRules:
    """What ``before`` served, exactly: every rule, weight and label, ``latestRevision`` pinned to ``latest``."""
    return TrafficRules(tuple(_pinned(before, latest)))


def creating_rules(before: TrafficRules, latest: str, new: str) -> TrafficRules:
    """The creating PATCH's list: :func:`restored_rules` plus ``{revisionName: new, weight: 0}``."""
    return TrafficRules((*_pinned(before, latest), TrafficRule(weight=0, revision=new)))


def step_rules(before: TrafficRules, latest: str, new: str, weight: int) -> TrafficRules:
    """``weight`` % to ``new``; every other rule keeps its place, form and label, scaled to share the rest."""
    if not 0 <= weight <= 100:
        raise UsageError(f"step weight {weight} is not a percent")
    rules = _pinned(before, latest)
    shares = {i: r.weight for i, r in enumerate(rules) if r.weight > 0 and r.revision != new}
    scaled = _largest_remainder(shares, 100 - weight)
    out = [replace(r, weight=scaled.get(i, 0)) for i, r in enumerate(rules)]
    return TrafficRules((*out, TrafficRule(weight=weight, revision=new)))


def promoted_rules(before: TrafficRules, new: str) -> TrafficRules:
    """The original list, original form: a ``latestRevision`` rule takes 100 % (it serves ``new`` now), every
    other rule 0 %; a list without one keeps its rules at 0 % and gets ``{revisionName: new, weight: 100}``."""
    if not before.rules:
        return TrafficRules.of(TrafficRule(weight=100, latest_revision=True))
    first_latest = next((i for i, r in enumerate(before.rules) if r.latest_revision), None)
    rules = [replace(r, weight=100 if i == first_latest else 0) for i, r in enumerate(before.rules)]
    if first_latest is None:
        rules.append(TrafficRule(weight=100, revision=new))
    return TrafficRules(tuple(rules))


def _largest_remainder(shares: dict[int, int], total: int) -> dict[int, int]:
    """Scale ``shares`` to sum to ``total`` in whole numbers (largest remainders get the leftovers)."""
    base = sum(shares.values())
    if not base or total <= 0:
        return {}
    exact = {k: v * total / base for k, v in shares.items()}
    result = {k: int(v) for k, v in exact.items()}
    for key in sorted(exact, key=lambda k: (exact[k] - result[k], -k), reverse=True)[: total - sum(result.values())]:
        result[key] += 1
    return result


@dataclass(frozen=True)
class DeployPolicy:
    """An environment's ``deploy:`` settings."""

    channel: str | None = None
    steps: tuple[int, ...] = (100,)
    step_seconds: float = 60.0
    health_attempts: int = 12
    health_interval_seconds: float = 5.0
    require_checklist: bool = False
    max_error_rate_ratio: float = 1.5
    ready_timeout_seconds: float = 300.0


@dataclass(frozen=True)
class GateResult:
    """One gate's verdict and its evidence for people (``ok`` None: not judged yet, e.g. too few calls)."""

    name: str
    ok: bool | None
    evidence: str


@dataclass(frozen=True)
class DeployProgress:
    """What the progress message shows now."""

    target: str
    revision: str
    change: str
    state: DeployState
    step: int  # 1-based; 0 before the first step
    steps: tuple[int, ...]
    weight: int
    evidence: tuple[str, ...]
    elapsed_seconds: float
    note: str = ""

    @property
    def step_text(self) -> str:
        return f"step {self.step} of {len(self.steps)}" if self.step else "before the first step"
