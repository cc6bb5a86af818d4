"""The ``code`` kind: shift Container Apps traffic back to a previous, still-active revision.

from bot.kinds.code import KIND as CODE_KIND
handle = environment.handle(CODE_KIND)      # CodeHandle: the port, the app, the health URL template
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.kinds import CODE
from bot.domain.readiness import CheckKey
from bot.kinds.base import BoundKind, Kind, KindServices
from bot.kinds.code.executor import TrafficShift
from bot.kinds.code.handle import CodeHandle
from bot.kinds.code.state import CodeState

__all__ = ["KIND", "CodeHandle", "CodeKind", "CodeState"]


class CodeKind(Kind[CodeHandle]):
    """Container Apps traffic: pinned back by revision name."""

    name = CODE
    key = "container_app"
    title = "Container app"
    component = "container app"
    owns = frozenset({CheckKey.previous_revision})

    def bind(self, handle: CodeHandle, services: KindServices) -> BoundKind[Any]:
        return TrafficShift(handle, services)

    def decode_state(self, data: Mapping[str, Any]) -> CodeState:
        return CodeState.from_json(data)


KIND = CodeKind()
