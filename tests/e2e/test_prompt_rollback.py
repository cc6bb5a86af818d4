"""Full walk for a prompt rollback: v4 → v3 with exactly one active version at every instant."""

from __future__ import annotations

import json
import threading

from sqlalchemy import text

from bot.adapters.db.engine import make_engine
from bot.adapters.prompts import uninstall_prompts_db
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.e2e.flow import submit_plan, walk_to_plan
from tests.harness.world import ALICE, BOB, CHANNEL, World


class ActiveCounter(threading.Thread):
    """Polls the number of active drug_info versions on its own connection until stopped."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = make_engine(url)
        self.seen: set[int] = set()
        self.reads = 0
        self.stop = threading.Event()

    def run(self) -> None:
        query = text("SELECT count(*) FROM system_prompts WHERE name = 'drug_info' AND is_active")
        with self.engine.connect() as conn:
            while not self.stop.is_set():
                self.seen.add(conn.execute(query).scalar_one())
                conn.commit()  # a fresh snapshot for every read
                self.reads += 1


def test_full_prompt_rollback_walk(world: World, db_url: str) -> None:
    assert world.prompts.active("drug_info").version == 4
    counter = ActiveCounter(db_url)
    counter.start()
    try:
        plan_view = walk_to_plan(world, "prompt")
        blob = json.dumps(plan_view["blocks"])
        assert "drug_info v4 active" in blob and "drug_info v3 active" in blob
        assert "UPDATE system_prompts SET is_active = true WHERE name = 'drug_info' AND version = 3" in blob
        submit_plan(world, plan_view, "v4 prompt drops the dosage disclaimer")
        world.wait(lambda: any("Rollback #" in m.get("text", "") for m in world.slack.messages(CHANNEL)), what="card")
        card = world.card()
        value = encode_request_ref(world.runtime.deps.requests.list_recent(limit=1)[0].id)
        world.click(ALICE, card["ts"], SlackId.approve.value, value)
        world.wait(lambda: any("two-person" in e.get("text", "") for e in world.slack.ephemerals(user_id=ALICE)))
        assert world.prompts.active("drug_info").version == 4
        world.click(BOB, card["ts"], SlackId.approve.value, value)
        world.wait(
            lambda: "Succeeded" in json.dumps(world.slack.message(CHANNEL, card["ts"])["blocks"]), what="Succeeded card"
        )
    finally:
        counter.stop.set()
        counter.join(timeout=5)
        counter.engine.dispose()
    assert world.prompts.active("drug_info").version == 3
    assert counter.reads > 10 and counter.seen == {1}
    history = world.prompts.history("drug_info", limit=1)[0]
    assert (history.from_version, history.to_version, history.actor) == (4, 3, "rollback-bot")


def test_a_request_whose_prompt_guards_went_missing_is_refused_at_approval_with_the_fix(world: World) -> None:
    """Between request and approval someone removed the guards: the approval is refused, nothing changes,
    and the thread says which command restores them."""
    plan_view = walk_to_plan(world, "prompt")
    submit_plan(world, plan_view, "v4 prompt drops the dosage disclaimer")
    world.wait(lambda: any("Rollback #" in m.get("text", "") for m in world.slack.messages(CHANNEL)), what="card")
    card = world.card()
    uninstall_prompts_db(world.prompts_engine, "system_prompts")
    value = encode_request_ref(world.runtime.deps.requests.list_recent(limit=1)[0].id)
    world.click(BOB, card["ts"], SlackId.approve.value, value)
    restore = "rollback-bot prompts init --service pharmabot --env prod"
    world.wait(
        lambda: any(restore in json.dumps(m) for m in world.slack.thread(CHANNEL, card["ts"])),
        what="the thread naming the command that restores the guards",
    )
    assert world.prompts.active("drug_info").version == 4
    assert world.runtime.deps.requests.list_recent(limit=1)[0].status.value == "cancelled"
