"""A container app's traffic rules as data: the whole list is read, compared and written, never just weights.

A rule sends ``weight`` percent of the app's traffic to one revision, named either by ``revisionName``
or by ``latestRevision: true`` (whichever revision is newest, so a deploy moves it), and may carry a
``label`` (a stable per-label URL). Every write keeps each rule's label and the form of the rules it
does not mean to change.

A rollback **pins** traffic by revision name (:meth:`TrafficRules.pinned_to`):

* the first rule that names the target by ``revisionName`` gets 100 % and keeps its label; when there is
  none, ``{revisionName: TARGET, weight: 100}`` is appended;
* every other rule stays where it is, in its form (``latestRevision`` stays ``latestRevision``), with its
  label, at weight 0.

The list that was live before the rollback is the roll-forward: writing it back restores the original
rules exactly, ``latestRevision`` included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.errors import UsageError

JSON = dict[str, Any]


@dataclass(frozen=True)
class TrafficRule:
    """One rule: ``weight`` percent to a named revision or to the latest one, optionally under a label."""

    weight: int
    revision: str | None = None
    latest_revision: bool = False
    label: str | None = None

    def __post_init__(self) -> None:
        if self.latest_revision == (self.revision is not None):
            raise UsageError("a traffic rule names a revision or says latestRevision: true (exactly one of them)")
        if isinstance(self.weight, bool) or not isinstance(self.weight, int) or not 0 <= self.weight <= 100:
            raise UsageError(f"traffic weight “{self.weight}” is not a whole percent from 0 to 100")

    def serves(self, latest: str | None) -> str | None:
        """The revision this rule sends traffic to (``latest``: the app's latest revision)."""
        return latest if self.latest_revision else self.revision

    def to_json(self) -> JSON:
        """The ARM form: ``{revisionName | latestRevision: true, weight, label?}``."""
        data: JSON = {"latestRevision": True} if self.latest_revision else {"revisionName": self.revision}
        data["weight"] = self.weight
        if self.label is not None:
            data["label"] = self.label
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrafficRule:
        """Inverse of :meth:`to_json` (``latestRevision: false`` beside a name is the named form)."""
        latest = bool(data.get("latestRevision"))
        revision = None if latest else data.get("revisionName")
        return cls(
            weight=int(data.get("weight") or 0),
            revision=str(revision) if revision is not None else None,
            latest_revision=latest,
            label=data.get("label"),
        )

    def describe(self, latest: str | None = None) -> str:
        """``v1: 100 %``, ``latest revision (v2): 0 %``, with `` [label blue]`` when labelled."""
        if self.latest_revision:
            name = f"latest revision ({latest})" if latest else "latest revision"
        else:
            name = str(self.revision)
        return f"{name}: {self.weight} %" + (f" [label {self.label}]" if self.label else "")


@dataclass(frozen=True)
class TrafficRules:
    """The whole ordered rule list of an app (empty: Azure sends everything to the latest revision)."""

    rules: tuple[TrafficRule, ...] = ()

    @classmethod
    def of(cls, *rules: TrafficRule) -> TrafficRules:
        """A list from rules given in order."""
        return cls(tuple(rules))

    @classmethod
    def named(cls, weights: Mapping[str, int]) -> TrafficRules:
        """Plain ``revisionName`` rules, one per revision, in the mapping's order."""
        return cls(tuple(TrafficRule(weight=w, revision=name) for name, w in weights.items()))

    def check_writable(self) -> None:
        """Refuse a list Azure would refuse: empty, weights not summing to 100, a label used twice."""
        if not self.rules:
            raise UsageError("the traffic rule list is empty; give every rule the app should keep")
        total = sum(r.weight for r in self.rules)
        if total != 100:
            raise UsageError(f"traffic weights must sum to 100, these sum to {total}")
        labels = [r.label for r in self.rules if r.label is not None]
        if len(labels) != len(set(labels)):
            raise UsageError("a traffic label may be used by one rule only")

    def weights(self, latest: str | None) -> dict[str, int]:
        """Revision → percent it serves, rules for the same revision added up (``latest`` resolves that form)."""
        if not self.rules:
            return {latest: 100} if latest else {}
        out: dict[str, int] = {}
        for rule in self.rules:
            name = rule.serves(latest)
            if name:
                out[name] = out.get(name, 0) + rule.weight
        return out

    def serving(self, latest: str | None) -> dict[str, int]:
        """Only the revisions that get traffic."""
        return {name: w for name, w in self.weights(latest).items() if w}

    def pinned_to(self, target: str) -> TrafficRules:
        """The rollback's list: 100 % on ``target`` by name, every other rule kept (form, label) at 0 %."""
        index = next((i for i, r in enumerate(self.rules) if r.revision == target), None)
        rules = [replace(r, weight=100 if i == index else 0) for i, r in enumerate(self.rules)]
        if index is None:
            rules.append(TrafficRule(weight=100, revision=target))
        return TrafficRules(tuple(rules))

    def uses_only_plain_names(self) -> bool:
        """True when every rule is an unlabelled ``revisionName`` rule (``az … traffic set`` can say it exactly)."""
        return all(r.revision is not None and r.label is None for r in self.rules)

    def to_json(self) -> list[JSON]:
        """The ARM ``ingress.traffic`` list."""
        return [r.to_json() for r in self.rules]

    @classmethod
    def from_json(cls, data: Sequence[Mapping[str, Any]]) -> TrafficRules:
        """Inverse of :meth:`to_json`."""
        return cls(tuple(TrafficRule.from_json(item) for item in data))

    def describe(self, latest: str | None = None) -> str:
        """One line for people: ``v1: 100 %; v2: 0 % [label blue]``."""
        return "; ".join(r.describe(latest) for r in self.rules) or "no traffic rules (all to the latest revision)"
