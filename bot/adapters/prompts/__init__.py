"""The prompt registry in an application's database: store, guards (``prompts init``/``uninstall``) and names."""

from __future__ import annotations

from bot.adapters.prompts.migrate import (
    downgrade_prompts_db,
    prompts_db_revision,
    uninstall_prompts_db,
    upgrade_prompts_db,
)
from bot.adapters.prompts.store import SqlPromptStore

__all__ = [
    "SqlPromptStore",
    "downgrade_prompts_db",
    "prompts_db_revision",
    "uninstall_prompts_db",
    "upgrade_prompts_db",
]
