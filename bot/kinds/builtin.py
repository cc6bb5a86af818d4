"""The kinds this version ships, in the runbook's order (code first: the fastest safe action), then releases."""

from __future__ import annotations

from bot.kinds.code import wiring as code
from bot.kinds.edge import KindRegistry
from bot.kinds.embedding import wiring as embedding
from bot.kinds.model import wiring as model
from bot.kinds.prompt import wiring as prompt
from bot.kinds.release import wiring as release
from bot.kinds.schema import wiring as schema

BUILTIN = KindRegistry(
    [code.PLUGIN, prompt.PLUGIN, model.PLUGIN, embedding.PLUGIN, schema.PLUGIN], composed=[release.COMPOSED]
)
