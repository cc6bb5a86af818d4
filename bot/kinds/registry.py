"""The kinds a running bot knows, in order, and the stored form of their plans."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from bot.domain.kinds import KindName, parse_kind
from bot.domain.plan import PLAN_FORMAT, Choice, Plan
from bot.kinds.base import Kind


class Kinds(Collection[KindName]):
    """Registered kind definitions by name, in the order people see them (code first).

    As a collection it holds the kinds' names, so it can be passed wherever known kinds are checked.
    """

    def __init__(self, kinds: Sequence[Kind[Any]]) -> None:
        for label, values in (("name", [str(k.name) for k in kinds]), ("configuration key", [k.key for k in kinds])):
            repeated = sorted({v for v in values if values.count(v) > 1})
            if repeated:
                raise ValueError(f"two kinds share the {label} {repeated[0]!r}")
        self._by_name: dict[KindName, Kind[Any]] = {k.name: k for k in kinds}

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[KindName]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def __repr__(self) -> str:
        return f"Kinds({', '.join(self._by_name)})"

    def definitions(self) -> tuple[Kind[Any], ...]:
        """Every definition, in order."""
        return tuple(self._by_name.values())

    def get(self, name: KindName) -> Kind[Any] | None:
        """The definition of ``name``, if registered."""
        return self._by_name.get(name)

    def parse(self, word: str) -> KindName:
        """The registered kind ``word`` names (``UsageError`` listing them otherwise)."""
        return parse_kind(word, self)

    def decode_plan(self, data: Mapping[str, Any]) -> Plan[Any]:
        """A stored plan back as a value; a plan of an earlier format (or of a kind no longer registered) is
        legacy: its texts and commands are shown, it is never executed."""
        kind = self._by_name.get(KindName(str(data.get("kind", ""))))
        if kind is None or int(data.get("format", 1)) < PLAN_FORMAT:
            return _legacy(data)
        state = kind.decode_state
        return Plan(
            kind=kind.name,
            choice=str(data["choice"]),
            current=state(data["current"]) if data.get("current") is not None else None,
            desired=state(data["desired"]) if data.get("desired") is not None else None,
            current_text=str(data["current_text"]),
            desired_text=str(data["desired_text"]),
            commands=tuple(data.get("commands", ())),
            roll_forward=tuple(data.get("roll_forward", ())),
            risks=tuple(data.get("risks", ())),
            steps=tuple(data.get("steps", ())),
            choices=tuple(Choice(**c) for c in data.get("choices", ())),
            blocked_reason=data.get("blocked_reason"),
            note=str(data.get("note", "")),
            produces=str(data.get("produces", "")),
            follows=str(data.get("follows", "")),
        )


def encode_plan(plan: Plan[Any]) -> dict[str, Any]:
    """The stored form of a plan (JSON; states through their own codecs)."""
    return {
        "format": PLAN_FORMAT,
        "kind": plan.kind,
        "choice": plan.choice,
        "current": plan.current.to_json() if plan.current is not None else None,
        "desired": plan.desired.to_json() if plan.desired is not None else None,
        "current_text": plan.current_text,
        "desired_text": plan.desired_text,
        "commands": list(plan.commands),
        "roll_forward": list(plan.roll_forward),
        "risks": list(plan.risks),
        "steps": list(plan.steps),
        "choices": [asdict(c) for c in plan.choices],
        "blocked_reason": plan.blocked_reason,
        "note": plan.note,
        "produces": plan.produces,
        "follows": plan.follows,
    }


def _legacy(data: Mapping[str, Any]) -> Plan[Any]:
    """A plan stored by an earlier version: texts and commands only."""
    return Plan(
        kind=KindName(str(data.get("kind", "?"))),
        choice=str(data.get("choice", "")),
        current=None,
        desired=None,
        current_text=str(data.get("current_text", "?")),
        desired_text=str(data.get("desired_text", "?")),
        commands=tuple(str(c) for c in data.get("commands", ())),
        risks=tuple(str(r) for r in data.get("risks", ())),
        steps=tuple(str(s) for s in data.get("steps", ())),
        blocked_reason="This request was stored by an earlier version of rollback-bot and cannot be executed.",
        format=1,
    )
