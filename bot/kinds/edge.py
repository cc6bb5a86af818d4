"""The edge side of a kind: its configuration block and how its port is bound to its resource.

Each kind package keeps this in its own ``wiring`` module (the only part of a kind that may import
adapters and configuration), exporting one ``KindPlugin``. A ``KindRegistry`` is the set of plugins a bot
runs with: it gives the core its ``Kinds``, the configuration file its schema, and binds environments.

    PLUGIN = KindPlugin(kind=KIND, block=WidgetConfig, bind=bind_widget)
    registry = BUILTIN.with_(PLUGIN)              # the built-in kinds and one more
    config = registry.load_config("rollback-bot.yaml")
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine

from bot.adapters.azure.clients import AzureClients
from bot.adapters.db.engine import make_engine
from bot.config import (
    AppConfig,
    AzureConfig,
    ConfigBlock,
    MaySecret,
    NonEmpty,
    NonEmptySecret,
    SecretUrl,
    parse_config,
    schema_with,
)
from bot.config import load_config as _load_config
from bot.domain.kinds import KindName
from bot.domain.rollback_requests import ServiceEnv
from bot.domain.secrets import SecretText
from bot.kinds.base import BoundKind, Kind
from bot.kinds.registry import Kinds
from bot.ports.guard import TemplateGuard
from bot.ports.releases import ReleaseLog

__all__ = [
    "BindContext",
    "ComposeContext",
    "ComposedKind",
    "ConfigBlock",
    "KindPlugin",
    "KindRegistry",
    "MaySecret",
    "NonEmpty",
    "NonEmptySecret",
    "SecretUrl",
]

H = TypeVar("H")
C = TypeVar("C", bound=ConfigBlock)


@dataclass
class BindContext:
    """What binding one environment's kinds may use: Azure clients and databases, built on first use."""

    target: ServiceEnv
    azure: AzureConfig
    clock: Callable[[], datetime]
    azure_client_kwargs: Mapping[str, Any] = field(default_factory=dict)
    engines: list[Engine] = field(default_factory=list)
    _clients: AzureClients | None = None
    # The handles of the environment's kinds bound before this one (registry order), and the bot's release log.
    handles: Mapping[KindName, object] = field(default_factory=dict)
    releases: ReleaseLog | None = None
    # The deploy guard's template change (a cut-over's new revision passes its health gate at 0 %).
    guard: TemplateGuard | None = None

    def azure_clients(self) -> AzureClients:
        """The environment's Azure SDK clients (one credential, shared by its kinds)."""
        if self._clients is None:
            self._clients = AzureClients(self.azure, **dict(self.azure_client_kwargs))
        return self._clients

    def engine(self, url: SecretText | str) -> Engine:
        """A database engine for ``url``, disposed when the bot stops (connections open on first use)."""
        engine = make_engine(url)
        self.engines.append(engine)
        return engine


@dataclass(frozen=True)
class KindPlugin(Generic[H, C]):
    """A kind with its configuration block (under ``kind.key``) and the function that binds it."""

    kind: Kind[H]
    block: type[C]
    bind: Callable[[C, BindContext], H]

    @property
    def key(self) -> str:
        """The kind's block in an environment's configuration."""
        return self.kind.key


@dataclass(frozen=True)
class ComposeContext:
    """What binding a composed kind may use: the environment's kinds bound so far, and the bot's release log."""

    target: ServiceEnv
    bound: Mapping[KindName, BoundKind[Any]]
    kinds: Kinds
    releases: ReleaseLog | None


@dataclass(frozen=True)
class ComposedKind(Generic[H]):
    """A kind made of an environment's other kinds (``release``): no configuration block, bound after them.

    ``bind`` returns None where the kind is not available (nothing to compose, or no release log: ``inspect``).
    """

    kind: Kind[H]
    bind: Callable[[ComposeContext], H | None]


class KindRegistry:
    """The kinds a bot runs with, in order: built-ins first, then any added with ``with_``, then composed kinds."""

    def __init__(self, plugins: Sequence[KindPlugin[Any, Any]], composed: Sequence[ComposedKind[Any]] = ()) -> None:
        self.plugins: tuple[KindPlugin[Any, Any], ...] = tuple(plugins)
        self.composed: tuple[ComposedKind[Any], ...] = tuple(composed)
        self.kinds = Kinds([*(p.kind for p in self.plugins), *(c.kind for c in self.composed)])

    def with_(self, *plugins: KindPlugin[Any, Any]) -> KindRegistry:
        """This registry and ``plugins``: a plugin for a kind already registered replaces it in place (to bind it
        differently), any other comes after the registered ones."""
        by_name = {p.kind.name: p for p in plugins}
        kept = [by_name.pop(p.kind.name, p) for p in self.plugins]
        return KindRegistry([*kept, *by_name.values()], self.composed)

    @cached_property
    def schema(self) -> type[AppConfig]:
        """The configuration schema: every kind's block is an optional key of an environment."""
        return schema_with({p.key: p.block for p in self.plugins})

    def parse_config(self, text: str, *, file: str, env: Mapping[str, str] | None = None) -> AppConfig:
        """Parse and validate configuration text (``env``: for ``${VAR}``; default the process's)."""
        return parse_config(text, file=file, env=os.environ if env is None else env, schema=self.schema)

    def load_config(self, path: str | Path, *, env: Mapping[str, str] | None = None) -> AppConfig:
        """Read and validate the configuration file at ``path``."""
        return _load_config(path, env=env, schema=self.schema)
