"""Moving the demo estate of a ``World`` between its known-good state and its bad one, outside the bot."""

from __future__ import annotations

from typing import Any

from bot.domain.releases import ReleaseStatus
from bot.domain.rollback_requests import ServiceEnv
from bot.services.releases import mark_release, record_release
from tests.harness.world import RG, SUB, World

TARGET = ServiceEnv("pharmabot", "prod")
APP, V1, V2 = "pharmabot-prod", "pharmabot-prod--v1", "pharmabot-prod--v2"
ACCOUNT, DEPLOYMENT = "pharmabot-openai", "gpt4o-stable"
GOOD = ({V1: 100, V2: 0}, 3, "2024-05-13", ["drugs-v1"])
BAD = ({V1: 0, V2: 100}, 4, "2024-08-06", ["drugs-v2"])


def set_layers(world: World, *, good: bool) -> None:
    """Every layer to the known-good state (v1, drug_info v3, gpt-4o 2024-05-13, drugs-v1) or the bad one."""
    weights = GOOD[0] if good else BAD[0]
    world.azure.set_traffic(SUB, RG, APP, [{"revisionName": name, "weight": w} for name, w in weights.items()])
    version = 3 if good else 4
    if world.prompts.active("drug_info").version != version:  # type: ignore[union-attr]
        world.prompts.activate("drug_info", version, actor="U0DEPLOYER", reason="deploy")
    world.azure.upgrade_deployment(SUB, RG, ACCOUNT, DEPLOYMENT, GOOD[2] if good else BAD[2], by="deploy")
    world.azure.set_alias("drugs", "drugs-v1" if good else "drugs-v2")


def good_release(world: World) -> int:
    """A good release of the known-good state; live state is the bad one again afterwards."""
    set_layers(world, good=True)
    deps = world.runtime.deps
    release = record_release(deps, TARGET, source="cli", actor="cli:alice", note="deploy 1.4.2")
    mark_release(deps, TARGET, release.id, ReleaseStatus.good, actor="cli:alice")
    set_layers(world, good=False)
    return release.id


def live(world: World) -> tuple[Any, ...]:
    """Traffic weights, the active prompt version, the model version and the alias's indexes, read from the fakes."""
    model = world.azure.deployment(SUB, RG, ACCOUNT, DEPLOYMENT)["properties"]["model"]["version"]
    prompt = world.prompts.active("drug_info").version  # type: ignore[union-attr]
    return world.traffic(), prompt, model, world.azure.alias("drugs")
