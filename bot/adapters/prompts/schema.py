"""Names and table shapes of the prompt registry inside an application's database.

The prompts table belongs to the application (``version, name, content, is_active, created_at``); its
name comes from the configuration. Every object the bot adds is named after it, shortened with a
hash when the result would pass PostgreSQL's 63-character identifier limit.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import Boolean, Column, Integer, MetaData, Table, Text

from bot.adapters.db.models import BigId, UtcDateTime
from bot.errors import ConfigError

DEFAULT_TABLE = "system_prompts"
VERSION_TABLE = "rollback_bot_prompts_version"
BOOKKEEPING_TABLE = "rollback_bot_prompts_tables"
REQUIRED_COLUMNS = ("version", "name", "content", "is_active", "created_at")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_MAX_IDENTIFIER = 63
_HASH_CHARS = 8


def checked_table(table: str) -> str:
    """Return ``table`` when it is a plain SQL identifier (letters, digits, underscores; ≤ 63 chars)."""
    if not _IDENTIFIER.match(table):
        raise ConfigError(f"prompts table name {table!r} is not a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*, ≤ 63)")
    return table


def derived_name(base: str, suffix: str) -> str:
    """``base + suffix``, or a shortened base plus a hash of it when that is longer than 63 characters."""
    name = base + suffix
    if len(name) <= _MAX_IDENTIFIER:
        return name
    digest = hashlib.sha256(base.encode()).hexdigest()[:_HASH_CHARS]
    keep = _MAX_IDENTIFIER - len(suffix) - _HASH_CHARS - 1
    return f"{base[:keep]}_{digest}{suffix}"


@dataclass(frozen=True)
class PromptTableNames:
    """The application's prompts table and the names of everything the bot adds for it."""

    table: str
    activations: str
    one_active_index: str
    name_version_index: str
    activations_index: str
    guard_function: str
    no_update_trigger: str
    no_delete_trigger: str
    no_truncate_trigger: str
    version_table: str
    history_function: str
    history_insert_trigger: str
    history_update_trigger: str
    rename_function: str
    rename_trigger: str

    @classmethod
    def of(cls, table: str) -> PromptTableNames:
        """Names for the prompts table ``table`` (validated)."""
        t = checked_table(table)
        return cls(
            table=t,
            activations=derived_name(t, "_activations"),
            one_active_index=derived_name(t, "_one_active"),
            name_version_index=derived_name(t, "_name_version_key"),
            activations_index=derived_name(t, "_activations_name"),
            guard_function=derived_name(t, "_immutable"),
            no_update_trigger=derived_name(t, "_no_update"),
            no_delete_trigger=derived_name(t, "_no_delete"),
            no_truncate_trigger=derived_name(t, "_no_truncate"),
            version_table=_version_table(t),
            history_function=derived_name(t, "_record_activation"),
            history_insert_trigger=derived_name(t, "_activation_ins"),
            history_update_trigger=derived_name(t, "_activation_upd"),
            rename_function=derived_name(t, "_follow_rename"),
            rename_trigger=derived_name(t, "_rename"),
        )


def _version_table(table: str) -> str:
    """Alembic's version table: one per prompts table, so two prompts tables can share a database."""
    if table == DEFAULT_TABLE:
        return VERSION_TABLE
    name = f"{VERSION_TABLE}_{table}"
    if len(name) <= _MAX_IDENTIFIER:
        return name
    return f"{VERSION_TABLE}_{hashlib.sha256(table.encode()).hexdigest()[:_HASH_CHARS]}"


def prompt_tables(names: PromptTableNames) -> tuple[Table, Table]:
    """Core tables for queries: the application's prompts table and the bot's activation history."""
    metadata = MetaData()
    prompts = Table(
        names.table,
        metadata,
        Column("version", Integer, primary_key=True),
        Column("name", Text, primary_key=True),
        Column("content", Text),
        Column("is_active", Boolean),
        Column("created_at", UtcDateTime()),
    )
    activations = Table(
        names.activations,
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("prompt_name", Text, nullable=False),
        Column("from_version", Integer),
        Column("to_version", Integer, nullable=False),
        Column("at", UtcDateTime(), nullable=False),
        Column("actor", Text, nullable=False),
        Column("reason", Text, nullable=False),
    )
    return prompts, activations
