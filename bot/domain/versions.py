"""Ordering versions: model versions of a deployment, and versioned index names behind an alias (pure)."""

from __future__ import annotations

import re

from bot.domain.azure import IndexInfo, ModelDeployment, ModelVersionInfo

_PART = re.compile(r"\d+|[A-Za-z]+")
_VERSIONED = re.compile(r"^(?P<base>.+?)[-_.]v?(?P<number>\d+)$", re.IGNORECASE)


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Orders model versions: ``2024-05-13`` < ``2024-08-06``, ``0613`` < ``1106``, ``1`` < ``2``."""
    return tuple((0, int(p)) if p.isdigit() else (1, p.lower()) for p in _PART.findall(version))


def previous_version(catalog: list[ModelVersionInfo], dep: ModelDeployment) -> ModelVersionInfo | None:
    """The newest version of the deployment's model that is older than the one it runs."""
    if not dep.model or not dep.version:
        return None
    current = version_key(dep.version)
    older = [
        m
        for m in catalog
        if m.name == dep.model
        and (dep.format is None or m.format in (None, dep.format))
        and version_key(m.version) < current
    ]
    return max(older, key=lambda m: version_key(m.version), default=None)


def split_index_name(name: str) -> tuple[str, int | None]:
    """``drugs-v2`` → (``drugs``, 2); a name without a version suffix → (name, None)."""
    match = _VERSIONED.match(name)
    return (match["base"], int(match["number"])) if match else (name, None)


def previous_index(current: str, indexes: list[IndexInfo]) -> IndexInfo | None:
    """The newest other index with the current one's base name (older than it when it carries a version)."""
    base, number = split_index_name(current)
    siblings: list[tuple[int, IndexInfo]] = []
    for info in indexes:
        other_base, other_number = split_index_name(info.name)
        if other_number is None or info.name == current or other_base != base:
            continue
        if number is None or other_number < number:
            siblings.append((other_number, info))
    return max(siblings, key=lambda pair: pair[0])[1] if siblings else None
