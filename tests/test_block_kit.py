"""Block Kit built by the pure builders, checked as data: Slack's limits and every id from the one enum."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.catalog import Catalog, EnvironmentPolicy
from bot.domain.deploy import DeployProgress, DeployState
from bot.domain.facts import Facts
from bot.domain.kinds import CODE, PROMPT
from bot.domain.plan import ChangeEvent, Choice, Plan, StepResult
from bot.domain.readiness import CheckKey, ChecklistReport, CheckResult, CheckStatus, DrillRecord
from bot.domain.releases import DriftReport, ItemDiff, Layer, LayerItem, Release, ReleaseStatus
from bot.domain.rollback_requests import RequestStatus, RollbackRequest, ServiceEnv
from bot.domain.traffic import TrafficRule, TrafficRules
from bot.domain.tree import FlowState
from bot.kinds import encode_plan
from bot.kinds.code import CodeState
from bot.slack import blocks, cards, checklist_blocks, decision_views, deploy_blocks, home, release_blocks, views
from bot.slack.ids import SlackId
from bot.text import Mention
from sandbox.emulators.slack import validate_message_blocks, validate_view

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TARGET = ServiceEnv("pharmabot", "prod")
POLICY = EnvironmentPolicy(TARGET, ("C0INCIDENT", "#inc-*"), "S0APPROVERS", (), 15, (CODE,))
CATALOG = Catalog((POLICY,))
STATE = FlowState("C0INCIDENT", "pharmabot", "prod", True, CODE)
RULES = TrafficRules.of(
    TrafficRule(weight=100, latest_revision=True, label="next"), TrafficRule(weight=0, revision="app--v1")
)
NOW_STATE = CodeState("Multiple", "app--v2", RULES, frozenset({"app--v1", "app--v2"}))
PLAN = Plan(
    kind=CODE,
    choice="app--v1",
    current=NOW_STATE,
    desired=replace(NOW_STATE, rules=RULES.pinned_to("app--v1")),
    current_text="app--v2: 100 %, Unhealthy <b>",
    desired_text="app--v1: 100 %",
    commands=("az containerapp ingress traffic set …",),
    roll_forward=("az rest --method patch …",),
    risks=("risk one", "risk <two>"),
    steps=("shift traffic",),
    choices=tuple(Choice(f"app--v{i}", f"app--v{i} · 1.{i}.0") for i in range(1, 30)),
    note="Traffic pinned by revision name.",
)
BLOCKED = Plan(
    kind=CODE,
    choice="app--v1",
    current=NOW_STATE,
    desired=None,
    current_text="Single",
    desired_text="app--v1",
    commands=("az …",),
    blocked_reason="Single revision mode",
)
LIVE = (
    Facts("Container app", "app (Multiple revision mode)", ("REVISION", "TRAFFIC"), (("app--v1", "100%"),)),
    Facts("Prompts", rows=(("drug_info", "active v4"),), notes=("pinned by rollback #3 since 2026-11-26 09:00 UTC",)),
)
STEPS = (StepResult("shift traffic", True, 0.21, "ok"), StepResult("health check", False, 1.5, "503"))
REPORT = ChecklistReport(
    TARGET,
    NOW,
    tuple(
        CheckResult(k, s, f"{k.value} summary", ("evidence " * 40,) * 3, ("az command …",))
        for k, s in zip(CheckKey, [CheckStatus.passed, CheckStatus.warn, CheckStatus.failed] * 2, strict=False)
    ),
)


def _request(status: RequestStatus, *, drill: bool = False) -> RollbackRequest:
    return RollbackRequest(
        7,
        TARGET,
        CODE,
        status,
        "U0ALICE",
        "C0INCIDENT",
        True,
        "v2 fails " * 50,
        encode_plan(PLAN),
        NOW,
        NOW + timedelta(minutes=15),
        1,
        approver_id="U0BOB",
        message_ts="1.1",
        is_drill=drill,
    )


LAYERS = (
    Layer(CODE, (LayerItem("app", "app--v1=100 img", "app: app--v1 100 % (1.4.2)", "app--v1"),)),
    Layer(PROMPT, (LayerItem("drug_info", "v3", "drug_info v3 active <i>", "drug_info@3"),)),
)
RELEASE_7 = Release(7, TARGET, NOW, "cli", "cli:alice", "deploy <b> 1.4.2 " * 20, ReleaseStatus.good, LAYERS)
DRIFT = DriftReport(
    TARGET,
    RELEASE_7,
    diffs=tuple(
        ItemDiff(PROMPT, f"p{i}", LayerItem(f"p{i}", "v4", f"p{i} v4 <u>"), LayerItem(f"p{i}", "v3", "v3"))
        for i in range(60)
    ),
    warnings=("Azure may move gpt4o-stable <s>",),
    last_good=RELEASE_7,
)


def messages() -> dict[str, list[dict[str, Any]]]:
    out = {
        "releases": release_blocks.build_releases(TARGET, [RELEASE_7] * 30),
        "releases-none": release_blocks.build_releases(TARGET, []),
        "drift": release_blocks.build_drift(DRIFT, DRIFT.diffs, STATE.with_(kind=None)),
        "drift-no-button": release_blocks.build_drift(DRIFT, DRIFT.diffs[:1], None),
        "usage": blocks.build_usage(CATALOG, "Unknown service 'x'"),
        "usage-empty": blocks.build_usage(Catalog(())),
        "notice": blocks.build_notice("no"),
        "status": blocks.build_status("pharmabot/prod", LIVE * 30, _request(RequestStatus.pending)),
        "history": cards.build_history([_request(s) for s in RequestStatus]),
        "history-empty": cards.build_history([]),
        "thread": cards.build_thread("Rollback verified.", ["az rest …"] * 200, STEPS * 30),
        "posted": cards.build_request_posted(_request(RequestStatus.pending), "https://slack.test/archives/C0/p1"),
        "posted-no-link": cards.build_request_posted(_request(RequestStatus.pending), None),
        "investigation": views.build_investigation(
            STATE, [ChangeEvent(NOW, CODE, "new rev", actor="U0ALICE")] * 30, LIVE * 5, ["search: unreachable"]
        ),
        "checklist-summary": checklist_blocks.build_checklist_summary(REPORT),
        "checklist-details": checklist_blocks.build_checklist_details(REPORT),
    }
    for state in DeployState:
        progress = DeployProgress(
            "pharmabot/prod", "app--v3", "image acr.io/app:1.6.0", state, 2, (5, 25, 100), 25, ("health 200",), 12.5
        )
        out[f"deploy-{state.name}"] = deploy_blocks.build_deploy(3, progress)
    for status in RequestStatus:
        out[f"card-{status.value}"] = cards.build_card(
            _request(status), PLAN, approvers=(Mention.usergroup("S0APPROVERS"),), steps=STEPS, note="note"
        )
    out["card-drill"] = cards.build_card(_request(RequestStatus.pending, drill=True), PLAN)
    return out


def modals() -> dict[str, dict[str, Any]]:
    drill = DrillRecord(TARGET, CODE, "U0BOB", NOW, {"verified": 12.0}, verified=True)
    return {
        "target": views.build_target_view(FlowState("C0INCIDENT"), [POLICY] * 3),
        "loading": views.build_loading_view(STATE),
        "kind": views.build_kind_view(
            STATE,
            [ChangeEvent(NOW, PROMPT, "v3 → v4")] * 20,
            [("code", True, ""), ("prompt", True, ""), ("schema", False, "not yet")],
            "code",
            ["search: unreachable"],
        ),
        "kind-none": views.build_kind_view(STATE, [], [("schema", False, "not yet")], None),
        "plan": views.build_plan_view(STATE, PLAN),
        "plan-blocked": views.build_plan_view(STATE, BLOCKED),
        "reject": decision_views.build_reject_view(_request(RequestStatus.pending)),
        "error": views.build_error_view("Azure said no"),
        "home": home.build_home(
            CATALOG, [("pharmabot/prod", LIVE, REPORT, drill, _request(RequestStatus.pending))] * 40
        ),
    }


@pytest.mark.parametrize("name", sorted(messages()))
def test_messages_are_valid_block_kit(name: str) -> None:
    assert validate_message_blocks(messages()[name]) == []


@pytest.mark.parametrize("name", sorted(modals()))
def test_views_are_valid_block_kit(name: str) -> None:
    assert validate_view(modals()[name]) == []


def _ids(node: Any, key: str) -> list[str]:
    if isinstance(node, dict):
        found = [node[key]] if isinstance(node.get(key), str) else []
        return found + [i for v in node.values() for i in _ids(v, key)]
    if isinstance(node, list):
        return [i for v in node for i in _ids(v, key)]
    return []


def test_every_interactive_id_comes_from_the_enum() -> None:
    known = {i.value for i in SlackId}
    surfaces: list[Any] = [*messages().values(), *modals().values()]
    used = {i for s in surfaces for key in ("action_id", "callback_id") for i in _ids(s, key)}
    assert used and used <= known, used - known
    declared_blocks = {i for s in surfaces for i in _ids(s, "block_id")}
    assert {b for b in declared_blocks if not b.startswith("rollback-")} == set()


def test_approve_button_carries_a_confirm_and_the_request_ref() -> None:
    card = cards.build_card(_request(RequestStatus.pending), PLAN)
    actions = next(b for b in card if b["type"] == "actions")
    approve = next(e for e in actions["elements"] if e["action_id"] == SlackId.approve)
    assert approve["confirm"]["confirm"]["text"] == "Approve and run"
    assert approve["value"] == '{"request_id": 7}'
    assert not [b for b in cards.build_card(_request(RequestStatus.succeeded), PLAN) if b["type"] == "actions"]


def test_card_shows_the_pin_and_the_roll_forward_and_escapes_outside_text() -> None:
    import json

    card = json.dumps(cards.build_card(_request(RequestStatus.pending), PLAN, approvers=(Mention.user("U0BOB"),)))
    assert "Traffic pinned by revision name." in card and "*Roll forward*" in card and "az rest --method patch" in card
    assert "Unhealthy &lt;b&gt;" in card and "<@U0BOB>" in card
    drill = json.dumps(cards.build_card(_request(RequestStatus.pending, drill=True), PLAN))
    assert "Roll forward" not in drill  # a drill restores by itself


def test_releases_and_drift_escape_what_came_from_outside() -> None:
    import json

    listed = json.dumps(release_blocks.build_releases(TARGET, [RELEASE_7]))
    assert "deploy &lt;b&gt; 1.4.2" in listed and "<b>" not in listed and "&lt;i&gt;" in listed
    drift = json.dumps(release_blocks.build_drift(DRIFT, DRIFT.diffs[:2], STATE))
    assert "v4 &lt;u&gt;" in drift and "<u>" not in drift and "<s>" not in drift
    button = next(e for b in json.loads(drift) if b["type"] == "actions" for e in b["elements"])
    assert button["action_id"] == SlackId.drift_rollback and FlowState.decode(button["value"], [CODE]) == STATE
