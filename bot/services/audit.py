"""Writing audit events, including every refusal."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from bot.domain.rollback_requests import AuditEvent, ServiceEnv
from bot.errors import NotAllowedError
from bot.services import Deps

T = TypeVar("T")
log = logging.getLogger("rollback_bot.events")
# What an event's log line says about it (everything else stays in the audit log).
_SAID = ("target", "kind", "action", "step", "ok", "seconds", "outcome", "reason", "note", "error")


def record(deps: Deps, event: str, *, actor: str, request_id: int | None = None, **detail: Any) -> None:
    """Append one audit event stamped with the clock, and say it in one log line (with the request id)."""
    deps.audit.append(AuditEvent(event, actor=actor, at=deps.clock(), request_id=request_id, detail=detail))
    log.info(
        "%s%s by %s%s",
        f"request #{request_id}: " if request_id is not None else "",
        event,
        actor,
        "".join(f"; {key}={_short(detail[key])}" for key in _SAID if detail.get(key) not in (None, "")),
        extra={"request_id": request_id, "event": event, "actor": actor},
    )


def _short(value: Any, limit: int = 200) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _event_name(error: NotAllowedError) -> str:
    return "refused." + re.sub(r"(?<!^)(?=[A-Z])", "_", type(error).__name__.removesuffix("Error")).lower()


def audited(
    deps: Deps,
    *,
    actor: str,
    request_id: int | None,
    action: str,
    check: Callable[[], T],
    target: ServiceEnv | None = None,
) -> T:
    """Run ``check``; a policy refusal is audited (who, what, why) before it propagates, and counted by its
    class (with ``target`` when the refusal concerns one)."""
    try:
        return check()
    except NotAllowedError as exc:
        record(deps, _event_name(exc), actor=actor, request_id=request_id, action=action, reason=exc.user_message)
        deps.metrics.count("refusals", target=target, reason=type(exc).__name__)
        raise
