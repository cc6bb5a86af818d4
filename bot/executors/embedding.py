"""Embedding rollback: point the search alias back at the index built with the previous embedding model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from bot.domain.azure import IndexInfo, SearchAliasRef, SearchAliasState
from bot.domain.kinds import EMBEDDING
from bot.domain.plan import ChangeEvent, Choice, Plan, StepResult, Verification
from bot.domain.versions import previous_index, split_index_name
from bot.errors import UsageError, VerificationError
from bot.executors.base import Executor, timed
from bot.ports.azure import SearchApi

SEARCH_API_VERSION = "2026-04-01"


def _docs(info: IndexInfo | None) -> str:
    return f"{info.document_count} documents" if info and info.document_count is not None else "documents unknown"


class AliasSwapExecutor(Executor):
    """Moves the alias the application queries back to an earlier index (default: the previous version)."""

    kind = EMBEDDING
    pointer_step = "point alias"

    def __init__(self, *, api: SearchApi, ref: SearchAliasRef) -> None:
        self._api = api
        self._ref = ref

    def _current(self) -> tuple[SearchAliasState, list[IndexInfo]]:
        return self._api.get_alias(self._ref), self._api.list_indexes(self._ref)

    def plan(self, *, choice: str | None = None) -> Plan:
        alias, indexes = self._current()
        current = alias.indexes[0] if alias.indexes else ""
        others = sorted(
            (i for i in indexes if i.name != current), key=lambda i: split_index_name(i.name)[1] or -1, reverse=True
        )
        choices = tuple(Choice(i.name, f"{i.name} · {_docs(i)}"[:75]) for i in others)
        default = previous_index(current, indexes)
        picked = choice or (default.name if default else None)
        if picked is None:
            return Plan(
                self.kind,
                False,
                "",
                f"alias {alias.alias} → {current}",
                "—",
                {},
                {},
                choices=choices,
                blocked_reason=f"No earlier index next to {current} to point alias {alias.alias} at.",
            )
        if picked not in {c.value for c in choices}:
            raise UsageError(f"{picked!r} is not another index of this search service.")
        by_name = {i.name: i for i in indexes}
        return Plan(
            kind=self.kind,
            executable=True,
            choice=picked,
            current_text=f"alias {alias.alias} → {current} ({_docs(by_name.get(current))})",
            desired_text=f"alias {alias.alias} → {picked} ({_docs(by_name.get(picked))})",
            current={"alias": alias.alias, "index": current},
            desired={"alias": alias.alias, "index": picked},
            commands=self._commands(picked),
            risks=self._risks(current, picked, by_name),
            steps=(self.pointer_step, "verify alias"),
            choices=choices,
        )

    def _commands(self, index: str) -> tuple[str, ...]:
        body = json.dumps({"name": self._ref.alias, "indexes": [index]}, separators=(",", ":"))
        return (
            f"curl -sS -X PUT \"{self._ref.endpoint.rstrip('/')}/aliases('{self._ref.alias}')?api-version="
            f'{SEARCH_API_VERSION}" -H \'Content-Type: application/json\' -H "api-key: $AZURE_SEARCH_ADMIN_KEY" '
            f"-d '{body}'",
        )

    def _risks(self, current: str, target: str, by_name: dict[str, IndexInfo]) -> tuple[str, ...]:
        risks = [
            f"Queries must be embedded with the model {target} was built with: roll the application's embedding "
            "model back with it, or every similarity score is meaningless.",
            f"Documents ingested into {current} but not into {target} are missing until they are re-ingested.",
        ]
        now, then = by_name.get(current), by_name.get(target)
        if now and then and now.document_count is not None and then.document_count is not None:
            gap = now.document_count - then.document_count
            if gap > 0:
                risks.append(f"{target} has {gap} fewer documents than {current}.")
        return tuple(risks)

    def execute(self, plan: Plan) -> Iterator[StepResult]:
        def point() -> tuple[str, dict[str, object]]:
            state = self._api.set_alias(self._ref, plan.choice)
            return f"alias {state.alias} → {', '.join(state.indexes)}", {"indexes": list(state.indexes)}

        yield timed(self.pointer_step, point)
        yield timed("verify alias", lambda: self._check(plan.choice))

    def _check(self, index: str) -> tuple[str, dict[str, object]]:
        alias = self._api.get_alias(self._ref)
        if list(alias.indexes) != [index]:
            raise VerificationError(f"Alias {alias.alias} reads back as {list(alias.indexes)}, not [{index!r}].")
        return f"alias {alias.alias} → {index}", {}

    def roll_forward(self, plan: Plan) -> Iterator[StepResult]:
        original = str(plan.current["index"])
        yield timed("restore alias", lambda: (f"alias → {self._api.set_alias(self._ref, original).indexes}", {}))
        yield timed("verify restored alias", lambda: self._check(original))

    def verify(self, plan: Plan) -> Verification:
        alias = self._api.get_alias(self._ref)
        ok = list(alias.indexes) == [plan.desired.get("index")]
        return Verification(ok=ok, details=(f"alias {alias.alias} → {', '.join(alias.indexes)}",))

    def changes(self, *, since: datetime) -> list[ChangeEvent]:
        # The search service reports no time for an alias change, so alias moves are not on the timeline.
        return []

    def snapshot(self) -> list[str]:
        alias, indexes = self._current()
        by_name = {i.name: i for i in indexes}
        current = alias.indexes[0] if alias.indexes else "?"
        return ["*Search*", f"• alias `{alias.alias}` → `{current}` ({_docs(by_name.get(current))})"]
