"""Writing audit events, including every refusal."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from bot.domain.rollback_requests import AuditEvent
from bot.errors import NotAllowedError
from bot.services import Deps

T = TypeVar("T")


def record(deps: Deps, event: str, *, actor: str, request_id: int | None = None, **detail: Any) -> None:
    """Append one audit event stamped with the clock."""
    deps.audit.append(AuditEvent(event, actor=actor, at=deps.clock(), request_id=request_id, detail=detail))


def _event_name(error: NotAllowedError) -> str:
    return "refused." + re.sub(r"(?<!^)(?=[A-Z])", "_", type(error).__name__.removesuffix("Error")).lower()


def audited(deps: Deps, *, actor: str, request_id: int | None, action: str, check: Callable[[], T]) -> T:
    """Run ``check``; a policy refusal is audited (who, what, why) before it propagates."""
    try:
        return check()
    except NotAllowedError as exc:
        record(deps, _event_name(exc), actor=actor, request_id=request_id, action=action, reason=exc.user_message)
        deps.metrics.count("refusals", reason=type(exc).__name__)
        raise
