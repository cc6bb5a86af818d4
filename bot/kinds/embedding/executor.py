"""Embedding rollback: point the search alias back at the index built with the previous embedding model."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bot.domain.azure import IndexInfo, SearchAliasRef, SearchAliasState
from bot.domain.facts import Facts, cell
from bot.domain.kinds import EMBEDDING
from bot.domain.plan import ChangeEvent, Choice, Plan, StepResult, Verification
from bot.domain.readiness import CheckKey
from bot.domain.releases import LayerItem
from bot.domain.versions import previous_index, split_index_name
from bot.errors import UsageError
from bot.kinds.base import BoundKind, CheckInputs, Contribution, LiveState, check, require_state, timed
from bot.kinds.embedding.checks import alias_commands, embedding_findings
from bot.kinds.embedding.state import AliasTarget
from bot.ports.azure import SearchApi


def _docs(info: IndexInfo | None) -> str:
    return f"{info.document_count} documents" if info and info.document_count is not None else "documents unknown"


class AliasLive(LiveState):
    """The alias, the index it maps to and every index of the service with its document count."""

    def __init__(self, alias: SearchAliasState, indexes: list[IndexInfo]) -> None:
        self.alias = alias
        self.indexes = indexes

    def facts(self) -> Facts:
        by_name = {i.name: i for i in self.indexes}
        index = self.alias.index
        return Facts(
            title="AI Search",
            headline=f"alias {self.alias.alias} -> index {cell(index)} ({_docs(by_name.get(index or ''))})",
            columns=("INDEX", "DOCUMENTS"),
            rows=tuple((i.name, cell(i.document_count)) for i in self.indexes),
        )

    def to_json(self) -> dict[str, Any]:
        return {"alias": self.alias.alias, "index": self.alias.index}


class AliasSwap(BoundKind[AliasTarget]):
    """Moves the alias the application queries back to an earlier index (default: the previous version)."""

    kind = EMBEDDING
    pointer_step = "point alias"

    def __init__(self, api: SearchApi, ref: SearchAliasRef) -> None:
        self._api = api
        self._ref = ref

    def plan(self, *, choice: str | None = None) -> Plan[AliasTarget]:
        alias, indexes = self._api.get_alias(self._ref), self._api.list_indexes(self._ref)
        current = alias.index or ""
        others = sorted(
            (i for i in indexes if i.name != current), key=lambda i: split_index_name(i.name)[1] or -1, reverse=True
        )
        choices = tuple(Choice(i.name, f"{i.name} · {_docs(i)}"[:75]) for i in others)
        default = previous_index(current, indexes)
        picked = choice or (default.name if default else None)
        if picked is None:
            return Plan.blocked(
                self.kind,
                f"No earlier index next to {current} to point alias {alias.alias} at.",
                current=AliasTarget(alias.alias, alias.index),
                current_text=f"alias {alias.alias} → {current}",
                choices=choices,
            )
        if picked not in {c.value for c in choices}:
            raise UsageError(f"“{picked}” is not another index of this search service.")
        by_name = {i.name: i for i in indexes}
        return Plan(
            kind=self.kind,
            choice=picked,
            current=AliasTarget(alias.alias, alias.index),
            desired=AliasTarget(alias.alias, picked),
            current_text=f"alias {alias.alias} → {current} ({_docs(by_name.get(current))})",
            desired_text=f"alias {alias.alias} → {picked} ({_docs(by_name.get(picked))})",
            commands=alias_commands(self._ref, picked)[:1],
            roll_forward=alias_commands(self._ref, current)[:1] if current else (),
            risks=self._risks(current, picked, by_name),
            steps=(self.pointer_step, "verify alias"),
            choices=choices,
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

    def capture(self, plan: Plan[AliasTarget]) -> AliasTarget:
        alias = self._api.get_alias(self._ref)
        return AliasTarget(alias.alias, alias.index)

    def _point(self, to: AliasTarget) -> tuple[str, dict[str, Any]]:
        if to.index is None:
            raise UsageError(f"alias {to.alias} cannot be left pointing at no index")
        state = self._api.set_alias(self._ref, to.index)
        return f"alias {state.alias} → {', '.join(state.indexes)}", {"indexes": list(state.indexes)}

    def execute(self, plan: Plan[AliasTarget]) -> Iterator[StepResult]:
        _, desired = require_state(plan)
        yield timed(self.pointer_step, lambda: self._point(desired))

    def verify(self, plan: Plan[AliasTarget]) -> Verification:
        _, desired = require_state(plan)

        def alias() -> tuple[bool, str]:
            live = self._api.get_alias(self._ref)
            if list(live.indexes) == [desired.index]:
                return True, f"alias {live.alias} → {desired.index}"
            return (
                False,
                f"alias {live.alias} reads back as {', '.join(live.indexes) or 'no index'}, not {desired.index}",
            )

        return Verification((check("verify alias", alias),))

    def restore(self, snapshot: AliasTarget, live: AliasTarget) -> Iterator[StepResult]:
        if live != snapshot:
            yield timed("restore alias", lambda: self._point(snapshot))

    def restorable(self, snapshot: AliasTarget) -> str | None:
        return f"alias {snapshot.alias} maps to no index to go back to." if snapshot.index is None else None

    def changes(self, *, since: datetime) -> list[ChangeEvent]:
        # The search service reports no time for an alias change, so alias moves are not on the timeline.
        return []

    def read(self) -> LiveState:
        return AliasLive(self._api.get_alias(self._ref), self._api.list_indexes(self._ref))

    def release_items(self) -> tuple[LayerItem, ...]:
        """The index the alias maps to (planned back by pointing the alias at it)."""
        alias = self._api.get_alias(self._ref)
        return (AliasTarget(alias.alias, alias.index).layer_item(),)

    def contribute(self, key: CheckKey, inputs: CheckInputs) -> Contribution | None:
        return embedding_findings(self._api, self._ref) if key is CheckKey.rollback_command else None
