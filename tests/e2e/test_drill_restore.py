"""Over the emulator, through the real bot: a failing drill leaves every layer exactly as it found it.

For each kind (code, prompt, model, embedding): a drill whose verification fails, and one whose execution
fails half-way — the second write for code (the target is activated, then the traffic PATCH is refused);
for the kinds that make a single write, the write lands and the call still fails (an LRO that applies the
change and then reports Failed; an AI Search PUT applied behind a gateway that answers 503; a prompt
activation committed before the connection is lost). Verification fails through the target's health
endpoint (code) or a read served by a replica that has not seen the write (model, embedding, prompt).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.domain.kinds import CODE, EMBEDDING, MODEL, PROMPT, KindName
from bot.errors import StoreError
from bot.kinds import BoundKind
from bot.kinds.builtin import BUILTIN
from bot.kinds.edge import BindContext, KindPlugin
from bot.kinds.prompt import KIND as PROMPT_KIND
from bot.kinds.prompt import PromptHandle
from bot.kinds.prompt.wiring import PromptsConfig
from bot.kinds.prompt.wiring import bind as bind_prompts
from bot.services import drills
from tests.fakes import FaultyPromptStore
from tests.harness.world import RG, SUB, World

APP = "pharmabot-prod"
V0, V1, V2 = f"{APP}--v0", f"{APP}--v1", f"{APP}--v2"
RULES = [  # weights over three revisions; labels on serving and non-serving rules; the latest by form
    {"latestRevision": True, "weight": 50, "label": "next"},
    {"revisionName": V1, "weight": 30, "label": "stable"},
    {"revisionName": V0, "weight": 20},
    {"revisionName": V0, "weight": 0, "label": "archive"},
]


class FaultyPrompts:
    """The prompt kind bound as usual, its store behind a fault injector this test can reach."""

    def __init__(self) -> None:
        self.stores: list[FaultyPromptStore] = []

    def bind(self, block: PromptsConfig, ctx: BindContext) -> PromptHandle:
        store = FaultyPromptStore(bind_prompts(block, ctx).store)
        self.stores.append(store)
        return PromptHandle(store=store)


@pytest.fixture
def drill_world(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[World, FaultyPrompts]]:
    kind = getattr(request.node, "callspec", None) and request.node.callspec.params.get("kind")
    if kind not in (None, PROMPT) and not db_url.startswith("sqlite"):
        pytest.skip("only the prompt kind keeps its state in a database: the others run once, on SQLite")
    prompts = FaultyPrompts()
    registry = BUILTIN.with_(KindPlugin(kind=PROMPT_KIND, block=PromptsConfig, bind=prompts.bind))
    world = World.start(db_url, tmp_path, registry=registry)
    world.azure.set_revision(SUB, RG, APP, "v0", image="pharmabotacr.azurecr.io/pharmabot:1.4.0", created="-5h")
    world.azure.set_traffic(SUB, RG, APP, RULES)
    try:
        yield world, prompts
    finally:
        world.close()


def _layer(world: World, kind: KindName) -> Any:
    """The layer as the emulator (or the prompts database) holds it: rule lists compared whole."""
    if kind == CODE:
        return world.azure.traffic_rules(SUB, RG, APP), world.azure.state["resources"]  # revisions' flags included
    if kind == MODEL:
        props = world.azure.deployment(SUB, RG, "pharmabot-openai", "gpt4o-stable")["properties"]
        return props["model"], props["versionUpgradeOption"]
    if kind == EMBEDDING:
        return world.azure.alias("drugs")
    return world.prompts.active("drug_info")


def _code_layer(world: World) -> tuple[list[dict[str, Any]], dict[str, bool]]:
    revisions = world.azure.state["resources"]
    active = {
        str(r["name"]): bool(r["properties"]["active"])
        for r in revisions.values()
        if r.get("type") == "Microsoft.App/containerApps/revisions" and str(r["name"]).startswith(APP)
    }
    return world.azure.traffic_rules(SUB, RG, APP), active


def _snapshot(world: World, kind: KindName) -> Any:
    return _code_layer(world) if kind == CODE else _layer(world, kind)


def _bound(world: World, kind: KindName) -> BoundKind[Any]:
    target = world.runtime.deps.catalog.resolve("pharmabot", "prod").target
    return world.runtime.deps.environment(target).bound(kind)


def _prompt_faults(world: World, prompts: FaultyPrompts) -> Any:
    """The fault injector of the prompt store the bot bound (binding happens on first use)."""
    _bound(world, PROMPT)
    return prompts.stores[-1].faults


def _drill(world: World, kind: KindName, choice: str | None = None) -> drills.DrillOutcome:
    target = world.runtime.deps.catalog.resolve("pharmabot", "prod").target
    plan = _bound(world, kind).plan(choice=choice)
    return drills.run_drill(world.runtime.deps, target=target, kind=kind, actor="U0TESTER", plan=plan)


def test_a_passing_code_drill_leaves_latest_revision_labels_and_a_three_way_split_unchanged(
    drill_world: tuple[World, FaultyPrompts],
) -> None:
    world, _ = drill_world
    before = _code_layer(world)
    outcome = _drill(world, CODE)
    assert outcome.drill.passed and outcome.drill.restored, outcome.drill.error
    assert _code_layer(world) == before
    assert world.azure.traffic_rules(SUB, RG, APP) == RULES


@pytest.mark.parametrize("kind", [CODE, PROMPT, MODEL, EMBEDDING])
def test_a_drill_whose_verification_fails_ends_exactly_as_it_began(
    drill_world: tuple[World, FaultyPrompts], kind: KindName
) -> None:
    world, prompts = drill_world
    if kind == CODE:  # every older revision unhealthy: the target's health endpoint answers 503
        for name in ("v0", "v1"):
            world.azure.set_revision(SUB, RG, APP, name, healthy=False)
    elif kind == PROMPT:
        _prompt_faults(world, prompts).stale_reads("active")
    elif kind == MODEL:  # the LRO's final GET and the verification's read both hit a stale replica
        world.azure.faults.stale_read(2, path_contains="deployments/gpt4o-stable")
    else:
        world.azure.faults.stale_read(1, path_contains="aliases")
    before = _snapshot(world, kind)
    outcome = _drill(world, kind)
    assert not outcome.drill.passed and outcome.drill.restored, outcome.drill.error
    assert (outcome.drill.error or "").startswith("verification failed: ")
    assert _snapshot(world, kind) == before
    recorded = world.runtime.deps.drills.recent(outcome.drill.target, limit=1)[0]
    assert recorded.error == outcome.drill.error and not recorded.passed


@pytest.mark.parametrize("kind", [CODE, PROMPT, MODEL, EMBEDDING])
def test_a_drill_whose_execution_fails_half_way_ends_exactly_as_it_began(
    drill_world: tuple[World, FaultyPrompts], kind: KindName
) -> None:
    world, prompts = drill_world
    choice = None
    if kind == CODE:  # an inactive target: activate (first write), then the traffic PATCH (second) is refused
        rules = [{**RULES[0], "weight": 60}, {**RULES[1], "weight": 40}, RULES[3]]  # v0 serves nothing
        world.azure.set_traffic(SUB, RG, APP, rules)
        world.azure.set_revision(SUB, RG, APP, "v0", active=False)
        world.azure.faults.fail_next(1, 409, method="PATCH", path_contains=f"containerApps/{APP}")
        choice = V0
    elif kind == PROMPT:
        lost = StoreError("the connection was lost after COMMIT")
        _prompt_faults(world, prompts).fail_next("activate", lost, applied=True)
    elif kind == MODEL:
        world.azure.faults.lro_fail(code="DeploymentFailed", applied=True, path_contains="deployments/gpt4o-stable")
    else:  # 1 call + 3 retries, each applied and each answered 503
        world.azure.faults.fail_next(4, 503, method="PUT", path_contains="aliases", applied=True)
    before = _snapshot(world, kind)
    outcome = _drill(world, kind, choice)
    assert not outcome.drill.passed and outcome.drill.restored, outcome.drill.error
    expected = {CODE: "in progress", PROMPT: "lost after COMMIT", MODEL: "DeploymentFailed", EMBEDDING: "503"}[kind]
    assert expected in (outcome.drill.error or ""), outcome.drill.error
    assert _snapshot(world, kind) == before
    if kind == CODE:
        assert [s.name for s in outcome.steps][:2] == [f"activate {V0}", f"deactivate {V0}"]
