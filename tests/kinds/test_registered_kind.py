"""A kind registered only here (tests/kinds/flag_kind.py) goes through every surface of the real bot.

Plan, approval, execution, drill, checklist item 2, inspect (JSON and table), status with its pin, the
'what changed?' options and the stored request: nothing in bot/ names it.
"""

from __future__ import annotations

import ast
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.cli.common import CliContext
from bot.domain.rollback_requests import RequestStatus
from bot.kinds.builtin import BUILTIN
from bot.kinds.edge import KindRegistry
from bot.services import drills
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.e2e.flow import selected, submit_plan
from tests.harness.world import ALICE, BOB, CHANNEL, World
from tests.kinds import flag_kind
from tests.kinds.flag_kind import FLAG, PLUGIN, STORES, MemoryFlags

FLAG_MODULE = Path(flag_kind.__file__)
PUBLIC_API = {"bot.kinds", "bot.kinds.edge"}
REGISTRY: KindRegistry = BUILTIN.with_(PLUGIN)


def test_the_test_kind_imports_only_the_registrys_public_api() -> None:
    tree = ast.parse(FLAG_MODULE.read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    ours = {m for m in imported if m.split(".")[0] in {"bot", "handlers", "sandbox", "tests"}}
    assert ours == PUBLIC_API


@pytest.fixture
def flags(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, MemoryFlags]]:
    now = datetime.now(UTC)
    store = MemoryFlags({"new-checkout": [(now - timedelta(hours=5), "off")]})
    name = f"flags-{uuid.uuid4().hex[:8]}"
    STORES[name] = store

    def configure(data: dict[str, Any]) -> dict[str, Any]:
        data["services"][0]["environments"][0]["feature_flags"] = {"store": name, "flag": "new-checkout"}
        return data

    world = World.start(db_url, tmp_path_factory.mktemp("flags"), registry=REGISTRY, config=configure)
    store.set("new-checkout", "on", at=datetime.now(UTC))  # the latest change of all: the likely culprit
    try:
        yield world, store
    finally:
        world.close()
        STORES.pop(name, None)


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _cli(world: World, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    monkeypatch.setenv("ROLLBACK_BOT_CONFIG", str(world.config_path))
    monkeypatch.setenv("DATABASE_URL", world.settings.database_url)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    return CliRunner().invoke(main, list(args), obj=CliContext(REGISTRY), catch_exceptions=False)


def test_a_registered_kind_through_every_surface(
    flags: tuple[World, MemoryFlags], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, store = flags
    # 'what changed?' offers it, its change preselected by its own health (failing); then its plan from live state
    world.slash(ALICE, "")
    view = world.wait_view(SlackId.flow_target_view.value)
    world.submit(
        ALICE,
        view,
        {
            **selected(SlackId.target_block, SlackId.target_select, "pharmabot/prod"),
            **selected(SlackId.emergency_block, SlackId.emergency_radio, "yes", "radio_buttons"),
        },
    )
    kind_view = world.wait_view(SlackId.flow_kind_view.value)
    radio = next(b for b in kind_view["blocks"] if b.get("block_id") == SlackId.kind_block.value)["element"]
    assert FLAG in [o["value"] for o in radio["options"]] and radio["initial_option"]["value"] == FLAG
    assert "flag new-checkout set to on" in _text(kind_view["blocks"])
    assert "flag new-checkout is on and its code path fails" in _text(kind_view["blocks"])
    world.submit(ALICE, kind_view, selected(SlackId.kind_block, SlackId.kind_radio, FLAG, "radio_buttons"))
    plan_view = world.wait_view(SlackId.flow_plan_view.value)
    assert "new-checkout = on" in _text(plan_view["blocks"]) and "new-checkout = off" in _text(plan_view["blocks"])
    submit_plan(world, plan_view, "the new checkout charges twice")
    world.wait(lambda: any("Rollback #" in m.get("text", "") for m in world.slack.messages(CHANNEL)), what="card")
    card = world.card()
    request = world.runtime.deps.requests.list_recent(limit=1)[0]
    assert request.kind == FLAG and "flags set new-checkout on" in _text(card["blocks"])  # the roll-forward
    world.click(BOB, card["ts"], SlackId.approve.value, encode_request_ref(request.id))
    world.wait(lambda: world.runtime.deps.requests.get(request.id).status is RequestStatus.succeeded, what="done")
    assert store.value("new-checkout") == "off"

    # status shows its live state and that the rollback holds it
    world.slash(ALICE, "status pharmabot prod")
    world.wait(lambda: "Feature flags" in _text(world.slack.ephemerals(user_id=ALICE)), what="status")
    status = _text(world.slack.ephemerals(user_id=ALICE))
    assert "new-checkout = off" in status and f"pinned by rollback #{request.id} since" in status

    # a drill rolls it back, verifies and restores exactly what it found
    outcome = drills.run_drill(world.runtime.deps, target=request.target, kind=FLAG, actor="U0TESTER")
    assert outcome.drill.passed and outcome.drill.restored and store.value("new-checkout") == "off"

    # checklist item 2 includes it; inspect shows it, as JSON and as a table
    checklist = json.loads(_cli(world, monkeypatch, "checklist", "pharmabot", "--env", "prod", "--json").output)
    item2 = next(c for c in checklist["reports"][0]["checks"] if c["key"] == "rollback_command")
    assert "flag" in item2["summary"] and any(line.startswith("flag: new-checkout") for line in item2["evidence"])
    inspected = json.loads(_cli(world, monkeypatch, "inspect", "pharmabot", "--env", "prod", "--json").output)
    assert inspected["feature_flags"]["value"] == "off"
    table = _cli(world, monkeypatch, "inspect", "pharmabot", "--env", "prod").output
    assert "Feature flags" in table and "new-checkout = off" in table
    shown = _cli(world, monkeypatch, "requests", "show", str(request.id)).output
    assert f"#{request.id} pharmabot/prod flag succeeded" in shown
