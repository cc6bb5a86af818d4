"""Rollback kinds: one package per kind, each declaring in one place everything the bot does with it.

This module is the public API for writing a kind (``bot.kinds.edge`` has the edge half: the kind's
configuration block and how it binds). A kind package holds:

* ``Kind`` — its name, its configuration key and title, how it binds and decodes its state;
* a ``BoundKind`` — plan / execute / verify / capture / restore, live state, timeline, checklist part;
* a frozen state dataclass with a versioned JSON codec (what a rollback of that kind touches);
* ``wiring`` — its configuration block and the adapter bound to its resource (edge code, imported only by
  the composition root through a ``KindRegistry``).

The core (services, checklist, flow, inspect, status) iterates the registered kinds and never names one.
"""

from __future__ import annotations

from bot.domain.catalog import ChecklistPolicy
from bot.domain.facts import Facts, cell
from bot.domain.findings import Finding, combine, failed, passed, warned
from bot.domain.kinds import KindName, kind_name
from bot.domain.plan import ChangeEvent, Choice, KindState, Plan, StepResult, Verification
from bot.domain.readiness import CheckKey, CheckResult, CheckStatus
from bot.domain.rollback_requests import ServiceEnv
from bot.errors import RollbackBotError, StoreError, UsageError
from bot.kinds.base import (
    BoundKind,
    CheckInputs,
    Contribution,
    Kind,
    KindServices,
    LiveState,
    Offer,
    before_write,
    changed_by_others,
    check,
    require_state,
    timed,
    write_fence,
)
from bot.kinds.contributions import plan_findings
from bot.kinds.environment import BoundEnvironment
from bot.kinds.registry import Kinds, encode_plan

__all__ = [
    "BoundEnvironment",
    "BoundKind",
    "ChangeEvent",
    "CheckInputs",
    "CheckKey",
    "CheckResult",
    "CheckStatus",
    "ChecklistPolicy",
    "Choice",
    "Contribution",
    "Facts",
    "Finding",
    "Kind",
    "KindName",
    "KindServices",
    "KindState",
    "Kinds",
    "LiveState",
    "Offer",
    "Plan",
    "RollbackBotError",
    "ServiceEnv",
    "StepResult",
    "StoreError",
    "UsageError",
    "Verification",
    "before_write",
    "cell",
    "changed_by_others",
    "check",
    "combine",
    "encode_plan",
    "failed",
    "kind_name",
    "passed",
    "plan_findings",
    "require_state",
    "timed",
    "warned",
    "write_fence",
]
