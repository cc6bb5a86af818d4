"""The sandbox over its page API (no browser): the estate panel, the story, drills, errors, reuse and reset."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from bot.services.proof import run_due_watches
from bot.slack.ids import SlackId
from sandbox.app import Sandbox
from sandbox.demo import ALICE, BOB, CAROL
from tests.sandbox.client import JsonDict, PageClient, approve, selected, typed, walk_to_card


def _revisions(state: dict, env: str = "prod") -> dict[str, tuple[int, str]]:
    app = state["estate"]["environments"][env]["container_app"]
    return {r["short"]: (r["traffic"], r["health"]) for r in app["revisions"]}


def test_a_fresh_sandbox_shows_the_demo_estate_and_an_empty_channel(page_api: PageClient) -> None:
    state = page_api.state(ALICE)
    assert state["viewer"] == ALICE and [p["name"] for p in state["people"]] == ["alice", "bob", "carol"]
    assert state["channel"] == {"id": "C0INCIDENT", "name": "inc-pharmabot"} and state["messages"] == []
    assert state["directory"]["usergroups"] == {"S0APPROVERS": "sre-approvers"}
    for env in ("prod", "staging"):
        assert _revisions(state, env) == {"v1": (0, "Healthy"), "v2": (100, "Unhealthy")}
        estate = state["estate"]["environments"][env]
        assert estate["prompt"]["active"] == 4 and [v["version"] for v in estate["prompt"]["versions"]] == [4, 3, 2, 1]
        assert estate["model"]["version"] == "2024-08-06"
        assert [h["version"] for h in estate["model"]["history"]] == ["2024-05-13", "2024-08-06"]
        assert estate["postgres"]["backups"] == 7 and estate["postgres"]["latest"]
        assert estate["search"]["indexes"] == ["drugs-v2"]
    assert state["modal"] is None and state["ephemerals"] == [] and state["home"] is None
    assert any(c["usage"].startswith("/rollback status") for c in state["commands"])


def test_two_person_code_rollback_through_the_api(page_api: PageClient) -> None:
    card = walk_to_card(page_api, "code", "v2 answers 500 on every drug question")
    assert "Waiting for approval" in str(card["blocks"]) and card["user"] == page_api.state()["bot"]["user_id"]

    approve(page_api, ALICE, card)
    refused = page_api.wait(lambda s: "two-person" in str(s["ephemerals"]), "alice's refusal")
    assert all(e["sender"] == "bot" for e in refused["ephemerals"])
    assert "two-person" not in str(page_api.state(BOB)["ephemerals"]), "the refusal is alice's only"
    approve(page_api, CAROL, card)
    page_api.wait(lambda s: "Only members of" in str(s["ephemerals"]), "carol's refusal", user=CAROL)
    assert _revisions(page_api.state())["v2"] == (100, "Unhealthy")

    approve(page_api, BOB, card)
    done = page_api.card(BOB, status="Succeeded")
    state = page_api.wait(lambda s: _revisions(s)["v1"][0] == 100, "traffic on v1", user=CAROL)
    assert _revisions(state) == {"v1": (100, "Healthy"), "v2": (0, "Unhealthy")}
    thread = page_api.wait(lambda s: s["messages"][-1]["replies"], "the verification in the thread")
    assert thread["messages"][-1]["ts"] == done["ts"] and "Rollback verified" in str(thread["messages"][-1]["replies"])


def test_prompt_rollback_moves_the_active_version(page_api: PageClient) -> None:
    card = walk_to_card(page_api, "prompt", "v4 drops the dosage disclaimer")
    approve(page_api, BOB, card)
    page_api.card(status="Succeeded")
    state = page_api.wait(lambda s: s["estate"]["environments"]["prod"]["prompt"]["active"] == 3, "v3 active")
    assert state["estate"]["environments"]["staging"]["prompt"]["active"] == 4


def test_picking_another_target_in_the_plan_replans_and_keeps_what_was_typed(page_api: PageClient) -> None:
    page_api.act("/api/command", user=ALICE, text="/rollback pharmabot prod")
    view = page_api.wait_modal(SlackId.flow_target_view)
    emergency = selected(SlackId.emergency_block, SlackId.emergency_radio, "yes", "radio_buttons")
    page_api.act("/api/submit", user=ALICE, view_id=view["id"], values=emergency)  # the target is preselected
    view = page_api.wait_modal(SlackId.flow_kind_view)
    kind = selected(SlackId.kind_block, SlackId.kind_radio, "prompt", "radio_buttons")
    page_api.act("/api/submit", user=ALICE, view_id=view["id"], values=kind)
    view = page_api.wait_modal(SlackId.flow_plan_view, contains="drug_info v3 active")
    choice = next(b for b in view["blocks"] if b.get("block_id") == SlackId.choice_block.value)["element"]
    older = next(o["value"] for o in choice["options"] if o["value"] != choice["initial_option"]["value"])
    reason = typed(SlackId.reason_block, SlackId.reason_input, "half typed")
    page_api.act(
        "/api/action", user=ALICE, view_id=view["id"], action_id=choice["action_id"], value=older, values=reason
    )
    version = older.rsplit("@", 1)[-1]  # values look like drug_info@2
    replanned = page_api.wait_modal(SlackId.flow_plan_view, contains=f"After rollback*\\ndrug_info v{version} active")
    assert replanned["id"] == view["id"] and replanned["hash"] != view["hash"]
    assert replanned["state"]["values"][SlackId.reason_block.value] == {
        SlackId.reason_input.value: {"type": "plain_text_input", "value": "half typed"}
    }


def test_break_something_deploys_a_bad_revision_and_a_bad_prompt(page_api: PageClient) -> None:
    assert page_api.act("/api/break/revision", environment="staging")["revision"] == "pharmabot-staging--v3"
    state = page_api.state()
    assert _revisions(state, "staging")["v3"] == (100, "Unhealthy")
    assert {k: v[0] for k, v in _revisions(state, "staging").items()} == {"v1": 0, "v2": 0, "v3": 100}
    assert _revisions(state, "prod")["v2"] == (100, "Unhealthy")
    assert page_api.act("/api/break/prompt", environment="prod")["version"] == 5
    assert page_api.state()["estate"]["environments"]["prod"]["prompt"]["active"] == 5
    assert page_api.post("/api/break/prompt", environment="qa").status_code == 400


def test_break_the_way_back_makes_the_rollback_target_fail_its_health_check(page_api: PageClient) -> None:
    assert page_api.act("/api/break/way-back", environment="prod")["revision"] == "pharmabot-prod--v1"
    assert _revisions(page_api.state(), "prod") == {"v1": (0, "Unhealthy"), "v2": (100, "Unhealthy")}
    assert page_api.act("/api/break/way-back", environment="prod")["revision"] is None  # nothing healthy is left


def test_unanswered_inputs_get_errors_under_them_and_cancel_closes(page_api: PageClient) -> None:
    page_api.act("/api/command", user=ALICE, text="/rollback")
    view = page_api.wait_modal(SlackId.flow_target_view)
    page_api.act("/api/submit", user=ALICE, view_id=view["id"], values={})
    modal = page_api.wait(lambda s: s["modal"]["errors"], "errors under the inputs")["modal"]
    assert modal["id"] == view["id"] and set(modal["errors"]) >= {SlackId.emergency_block.value}
    assert page_api.state(BOB)["modal"] is None, "a modal is its opener's only"
    assert page_api.post("/api/submit", user=BOB, view_id=view["id"], values={}).status_code == 400
    page_api.act("/api/close", user=ALICE, view_id=view["id"])
    assert page_api.state()["modal"] is None


def test_commands_help_home_and_what_slack_itself_refuses(page_api: PageClient) -> None:
    page_api.act("/api/command", user=CAROL, text="/rollback help")
    state = page_api.wait(lambda s: s["ephemerals"], "the usage", user=CAROL)
    assert "Rollback Bot: usage" in str(state["ephemerals"][-1]["blocks"])
    page_api.act("/api/command", user=CAROL, text="/deploy now")
    notice = page_api.state(CAROL)["ephemerals"][-1]
    assert notice["sender"] == "slackbot" and "not a valid command" in notice["text"]
    page_api.act("/api/dismiss", user=CAROL, ts=notice["ts"])
    assert notice["ts"] not in [e["ts"] for e in page_api.state(CAROL)["ephemerals"]]
    assert page_api.post("/api/command", user=CAROL, text="hello").status_code == 400
    page_api.act("/api/home", user=BOB)
    home = page_api.wait(lambda s: s["home"], "the Home tab", user=BOB)["home"]
    assert home["type"] == "home" and "pharmabot/prod" in str(home["blocks"])


def test_the_page_and_api_refuse_what_is_not_theirs(sandbox: Sandbox) -> None:
    index = requests.get(sandbox.url, timeout=5)
    assert index.status_code == 200 and "inc-pharmabot" in index.text
    assert "default-src 'none'" in index.headers["Content-Security-Policy"]
    for name in ("app.js", "blockkit.js", "mrkdwn.js", "messages.js", "estate.js", "style.css"):
        assert requests.get(f"{sandbox.url}static/{name}", timeout=5).status_code == 200
    assert "http" not in requests.get(f"{sandbox.url}static/style.css", timeout=5).text, "nothing from elsewhere"
    url = f"{sandbox.url}api/command"
    assert requests.post(url, data="user=U0ALICE&text=/rollback", timeout=5).status_code == 415
    assert requests.post(url, json={}, headers={"Host": "evil.example:80"}, timeout=5).status_code == 421
    assert requests.post(url, json={"user": "U0MALLORY", "text": "/rollback"}, timeout=5).status_code == 400
    assert requests.get(f"{sandbox.url}api/state", timeout=5).status_code == 400
    assert requests.post(f"{sandbox.url}api/nope", json={}, timeout=5).status_code == 404


def test_a_second_start_reuses_the_state_and_reset_starts_over(tmp_path: Path) -> None:
    root = tmp_path / "state"
    first = Sandbox.start(root)
    try:
        page_api = PageClient(first.url)
        card = walk_to_card(page_api, "code", "kept across restarts")
        page_api.act("/api/break/prompt", environment="staging")
    finally:
        first.close()

    second = Sandbox.start(root)
    try:
        page_api = PageClient(second.url)
        state = page_api.state(BOB)
        assert [m["ts"] for m in state["messages"]] == [card["ts"]]
        assert state["estate"]["environments"]["staging"]["prompt"]["active"] == 5
        approve(page_api, BOB, state["messages"][0])  # the bot still knows the card it posted before
        page_api.card(BOB, status="Succeeded")
        page_api.act("/api/reset")
        state = page_api.state(BOB)
        assert state["messages"] == [] and state["estate"]["environments"]["staging"]["prompt"]["active"] == 4
    finally:
        second.close()

    third = Sandbox.start(root, reset=True)
    try:
        assert PageClient(third.url).state()["messages"] == []
    finally:
        third.close()


def test_a_folder_the_sandbox_did_not_create_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    try:
        Sandbox.start(tmp_path, reset=True).close()
    except Exception as exc:
        assert "not created by `rollback-bot sandbox`" in str(exc)
    else:
        raise AssertionError("a foreign folder was used")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_the_sandbox_url_answers_the_bots_health_and_metrics(sandbox: Sandbox) -> None:
    """The README's run command brings up the sandbox; its URL answers /health/ready like `serve` does."""
    ready = requests.get(f"{sandbox.url}health/ready", timeout=5)
    body = ready.json()
    assert ready.status_code == 200 and {k: body[k] for k in ("status", "database", "slack")} == {
        "status": "ready",
        "database": "ok",
        "slack": "ok",
    }
    assert body["environments"] and set(body["environments"].values()) == {"ok"}
    assert requests.get(f"{sandbox.url}health/live", timeout=5).json() == {"status": "ok"}
    assert "rollback_bot_slack_requests_total" in requests.get(f"{sandbox.url}metrics", timeout=5).text


def test_a_rollback_is_followed_by_its_proof_from_the_demo_workspace(sandbox: Sandbox, page_api: PageClient) -> None:
    card = walk_to_card(page_api, "code", "v2 answers 500 on every drug question")
    approve(page_api, BOB, card)
    done = page_api.card(BOB, status="watching the LLM signals until")
    assert "Proof after rollback" in str(done["blocks"])
    # the sandbox watches for 2 minutes; let them pass for the bot (the emulator's app keeps serving meanwhile)
    deps = sandbox.stack.runtime.deps
    later = replace(deps, clock=lambda: datetime.now(UTC) + timedelta(minutes=4))
    assert run_due_watches(later) == 1
    state = page_api.wait(lambda s: "Proof after rollback: recovered" in str(s["messages"][-1]["replies"]), "proof")
    proof = str(state["messages"][-1]["replies"])
    assert "Calls on revision pharmabot-prod--v1*: 0.0 % → 100.0 %" in proof
    # v2 fails 25 %, prompt v4 12 %, the model 1 %: 1 - .75*.88*.99 = 34.7 %; on v1 (1 %): 1 - .99*.88*.99 = 13.8 %
    assert "Error rate*: 35.0 % (42 of 120 calls) → 14.2 % (17 of 120 calls)" in proof
    assert "p95 latency*: 2550 ms → 1000 ms" in proof
    assert "Proof after rollback*: <" in str(page_api.card(status="recovered")["blocks"])


def test_a_bad_release_goes_back_to_the_good_release_in_one_request(page_api: PageClient) -> None:
    shipped = page_api.act("/api/break/release", environment="prod")
    assert (shipped["revision"], shipped["version"], shipped["model"]) == ("pharmabot-prod--v3", 5, "2024-11-20")
    page_api.act("/api/command", user=ALICE, text="/rollback releases pharmabot prod")
    listed = page_api.wait(lambda s: "deploy 1.4.2" in str(s["ephemerals"]), "the release list")
    assert "good" in str(listed["ephemerals"]) and "deploy 1.5.0" in str(listed["ephemerals"])
    card = walk_to_card(page_api, "release", "1.6 broke the answers, the prompt and the model at once")
    blocks = str(card["blocks"])
    assert "pharmabot-prod--v3 100 %" in blocks and "drug_info v5 active" in blocks and "2024-11-20" in blocks
    assert "migration head 3f9d2a4c8e10 (separate request)" in blocks
    approve(page_api, BOB, card)
    page_api.card(status="Succeeded")
    state = page_api.wait(lambda s: s["estate"]["environments"]["prod"]["model"]["version"] == "2024-05-13", "model")
    prod = state["estate"]["environments"]["prod"]
    assert _revisions(state)["v1"][0] == 100 and _revisions(state)["v3"][0] == 0
    assert prod["prompt"]["active"] == 3 and prod["search"]["indexes"] == ["drugs-v1"]


def test_a_deploy_from_the_page_posts_its_progress_in_the_channel_and_a_bad_image_is_rolled_back(
    page_api: PageClient,
) -> None:
    answer = page_api.act("/api/deploy", user=BOB, environment="staging", image="bad")
    assert answer["revision"] == "pharmabot-staging--v3" or answer["running"]

    def finished(state: JsonDict) -> JsonDict | None:
        for message in state["messages"]:
            shown = json.dumps(message.get("blocks"))
            if "Deploy #" in shown and "rolled back" in shown and "rolled back" in str(message.get("replies")):
                return message
        return None

    state = page_api.wait(finished, "the deploy message showing the rollback", timeout=40)
    message = finished(state)
    assert message is not None and "release #" in str(message["replies"])  # the final state, in the thread
    revisions = _revisions(state, "staging")
    assert revisions["v3"][0] == 0 and revisions["v2"][0] == 100  # traffic back as before the deploy
    assert page_api.post("/api/deploy", environment="staging", image="ugly").status_code == 400


def test_a_deploy_from_the_page_while_frozen_is_refused_at_once(page_api: PageClient) -> None:
    page_api.act("/api/command", user=ALICE, text="/rollback freeze pharmabot prod 1h launch day")
    page_api.wait(lambda s: any("frozen" in json.dumps(e) for e in s["ephemerals"]), "the freeze")
    refused = page_api.post("/api/deploy", user=ALICE, environment="prod", image="good")
    assert refused.status_code == 409 and "frozen by" in refused.json()["error"]


def test_the_schema_story_down_migration_then_restore_and_cut_over(sandbox: Sandbox, page_api: PageClient) -> None:
    from bot.domain.kinds import SCHEMA
    from bot.domain.rollback_requests import ServiceEnv
    from bot.domain.tree import FlowState
    from bot.services import rollbacks
    from sandbox.demo import CHANNEL

    prod = page_api.state()["estate"]["environments"]["prod"]["postgres"]
    assert prod["head"] == "5b1e0c2f7a91" and prod["restored"] == []
    card = walk_to_card(page_api, "schema", "1.5.0's migration broke the interactions table")
    assert "alembic downgrade 3f9d2a4c8e10" in str(card["blocks"])
    approve(page_api, BOB, card)
    page_api.card(status="Succeeded")
    page_api.wait(lambda s: s["estate"]["environments"]["prod"]["postgres"]["head"] == "3f9d2a4c8e10", "the head")
    # a restore to 5 min before the bad release, then the cut-over to it (each its own request and approval)
    deps = sandbox.stack.runtime.deps
    bad = next(r for r in deps.releases.recent(ServiceEnv("pharmabot", "prod")) if "1.5.0" in r.note)
    point = bad.recorded_at - timedelta(minutes=5)
    choice = "restore:" + point.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    state = FlowState(CHANNEL, "pharmabot", "prod", True, SCHEMA, choice)
    restore = rollbacks.open_request(deps, state=state, reason="data written by 1.5.0 is wrong", requester_id=ALICE)
    card = page_api.card(status="Waiting for approval")
    assert "Data-loss window" in str(card["blocks"])
    approve(page_api, BOB, card)
    name = f"pharmabot-db-restored-{point.astimezone(UTC):%Y%m%d%H%M}"
    page_api.wait(lambda s: s["estate"]["environments"]["prod"]["postgres"]["restored"], "the new server")
    sandbox.stack.azure.skip(61)  # the sandbox's restore takes a minute
    page_api.wait(lambda s: deps.requests.get(restore.id).status.value == "succeeded", "the restore", timeout=30)
    restored = page_api.state()["estate"]["environments"]["prod"]["postgres"]["restored"]
    assert restored == [{"name": name, "state": "Ready"}]
    state = FlowState(CHANNEL, "pharmabot", "prod", True, SCHEMA, f"cutover:{name}")
    cut = rollbacks.open_request(deps, state=state, reason="point the app at the restored data", requester_id=ALICE)
    approve(page_api, BOB, page_api.card(status="Waiting for approval"))
    page_api.wait(lambda s: deps.requests.get(cut.id).status.value == "succeeded", "the cut-over", timeout=30)
    host = page_api.state()["estate"]["environments"]["prod"]["postgres"]["database_host"]
    assert host == f"{name}.postgres.database.azure.com"
