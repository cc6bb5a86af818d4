"""The prompt registry in an application's database: store, migrations and table names."""

from __future__ import annotations

from bot.adapters.prompts.migrate import downgrade_prompts_db, prompts_db_revision, upgrade_prompts_db
from bot.adapters.prompts.store import SqlPromptStore

__all__ = ["SqlPromptStore", "downgrade_prompts_db", "prompts_db_revision", "upgrade_prompts_db"]
