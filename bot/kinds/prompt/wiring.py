"""The prompt kind at the edge: its ``prompts:`` block and the SQL prompt registry bound to it.

Binding opens no connection and changes no schema: ``rollback-bot prompts init`` installs the guards.
"""

from __future__ import annotations

from pydantic import Field

from bot.adapters.prompts.store import SqlPromptStore
from bot.domain.rollback_requests import ServiceEnv
from bot.kinds.edge import BindContext, ConfigBlock, KindPlugin, NonEmptySecret
from bot.kinds.prompt import KIND, PromptHandle


class PromptsConfig(ConfigBlock):
    """The database that holds the versioned system prompts."""

    database_url: NonEmptySecret
    table: str = Field(default="system_prompts", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def prompts_init_command(target: ServiceEnv) -> str:
    """The command that installs (or restores) the prompt guards of ``target``'s prompts table."""
    return f"rollback-bot prompts init --service {target.service} --env {target.environment}"


def bind(block: PromptsConfig, ctx: BindContext) -> PromptHandle:
    """The prompt registry in the application's database (its guards are ``prompts init``'s to install)."""
    init = prompts_init_command(ctx.target)
    store = SqlPromptStore(ctx.engine(block.database_url), block.table, ctx.clock, init_command=init)
    return PromptHandle(store=store)


PLUGIN = KindPlugin(kind=KIND, block=PromptsConfig, bind=bind)
