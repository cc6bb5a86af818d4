"""Every Slack text, option and value built from data fits its documented limit, whatever the data.

Each builder gets maximal data (names, texts and lists far past every limit) and what it returns must be
valid Block Kit for Slack's servers (the Slack fake's validator: slack_sdk's own checks plus the surface
rules), with long option values replaced by short keys that still lead back to the choice.
"""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.catalog import Catalog, EnvironmentPolicy
from bot.domain.deploy import DeployProgress, DeployState
from bot.domain.facts import Facts
from bot.domain.freeze import Freeze
from bot.domain.kinds import CODE, PROMPT
from bot.domain.plan import ChangeEvent, Choice, Plan, StepResult, choice_key, is_digest_key
from bot.domain.readiness import CheckKey, ChecklistReport, CheckResult, CheckStatus, DrillRecord
from bot.domain.recovery import CardProof, Evidence, Figures, Verdict
from bot.domain.releases import DriftReport, ItemDiff, Layer, LayerItem, Release, ReleaseStatus
from bot.domain.rollback_requests import RequestStatus, RollbackRequest, ServiceEnv
from bot.domain.signals import Dimension, Group, TimeWindow
from bot.domain.traffic import TrafficRules
from bot.domain.tree import FlowState
from bot.kinds.code import CodeState
from bot.slack import blocks, cards, checklist_blocks, decision_views, deploy_blocks, home, proof, release_blocks, views
from bot.slack.mrkdwn import OPTION_TEXT, OPTION_VALUE
from bot.text import Mention, Text
from sandbox.emulators.slack import validate_message_blocks, validate_view

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
HUGE = "x&<y>" * 2000  # 10,000 characters, with characters that grow when escaped
NAME = "n" * 63  # the longest service or environment name the configuration accepts
TARGET = ServiceEnv(NAME, NAME)
LONG_PROMPT = "p" * 180
STATE = CodeState("Multiple", HUGE, TrafficRules.of(), frozenset())
PLAN = Plan(
    kind=PROMPT,
    choice=f"{LONG_PROMPT}@3",
    current=STATE,
    desired=STATE,
    current_text=HUGE,
    desired_text=HUGE,
    commands=(HUGE,) * 5,
    roll_forward=(HUGE,) * 5,
    risks=(HUGE,) * 10,
    choices=tuple(Choice(f"{LONG_PROMPT}{i}@{i}", HUGE) for i in range(150)),
    note=HUGE,
)
BLOCKED = Plan.blocked(PROMPT, HUGE, current_text=HUGE, choices=PLAN.choices, choice=PLAN.choice)
FACTS = tuple(Facts(HUGE, HUGE, ("A", "B"), ((HUGE, HUGE),) * 5, (HUGE,) * 2) for _ in range(60))
EVENTS = [ChangeEvent(NOW, CODE, HUGE, actor=HUGE)] * 100
POLICY = EnvironmentPolicy(TARGET, ("C0INCIDENT",), "S0APPROVERS", ("U0BOB",) * 50, 15, (CODE, PROMPT))
REPORT = ChecklistReport(
    TARGET, NOW, tuple(CheckResult(k, CheckStatus.failed, HUGE, (HUGE,) * 20, (HUGE,) * 10) for k in CheckKey)
)
STEPS = tuple(StepResult(HUGE, False, 1.0, HUGE) for _ in range(100))
WINDOW = TimeWindow(NOW - timedelta(hours=1), NOW)
EVIDENCE = Evidence(
    Group(Dimension.prompt_version, HUGE, HUGE),
    Figures(WINDOW, 10**9, 10**8, 10**9, 1e9, HUGE),
    Figures(WINDOW, 10**9, 10**8, 10**9, 1e9, HUGE),
    Verdict.worse,
    HUGE,
    HUGE,
)
CARD_PROOF = CardProof(posted=True, verdict=Verdict.recovered, link="https://slack.example/archives/C0/p1" + "1" * 3000)
FLOW = FlowState("C0INCIDENT", NAME, NAME, True, PROMPT, choice_key(PLAN.choice))
ITEM = LayerItem(HUGE, HUGE, HUGE, HUGE, HUGE)
RELEASE = Release(2**53, TARGET, NOW, HUGE, HUGE, HUGE, ReleaseStatus.unknown, (Layer(CODE, (ITEM,) * 50),) * 5)
DRIFT = DriftReport(TARGET, RELEASE, (ItemDiff(CODE, HUGE, ITEM, ITEM),) * 100, (HUGE,) * 20, last_good=RELEASE)


def _request(status: RequestStatus) -> RollbackRequest:
    return RollbackRequest(
        2**53, TARGET, PROMPT, status, "U0ALICE", "C0INCIDENT", True, HUGE, {}, NOW, NOW + timedelta(days=1), 1, "U0BOB"
    )


FROZEN = Freeze(TARGET, "U0ALICE", HUGE, NOW, NOW)


@functools.cache
def messages() -> dict[str, list[dict[str, Any]]]:
    note = Text.of(HUGE.replace("<", "") + " {who}", who=Mention.user("U0BOB"))
    out = {
        "usage": blocks.build_usage(Catalog((POLICY,) * 200), HUGE),
        "notice": blocks.build_notice(HUGE),
        "status": blocks.build_status(HUGE, FACTS, _request(RequestStatus.executing)),
        "history": cards.build_history([_request(s) for s in RequestStatus] * 10),
        "thread": cards.build_thread(HUGE, [HUGE] * 50, [StepResult(HUGE, False, 1e9, HUGE)] * 100),
        "posted": cards.build_request_posted(_request(RequestStatus.pending), "https://slack.test/" + "p" * 5000),
        "investigation": views.build_investigation(FLOW, EVENTS, FACTS, [HUGE] * 20),
        "checklist-summary": checklist_blocks.build_checklist_summary(REPORT),
        "checklist-details": checklist_blocks.build_checklist_details(REPORT),
        "proof": proof.build_proof(EVIDENCE),
        "no-proof": proof.build_proof(None, HUGE),
        "releases": release_blocks.build_releases(TARGET, [RELEASE] * 100),
        "drift": release_blocks.build_drift(DRIFT, DRIFT.diffs, FLOW),
        "checklist-frozen": checklist_blocks.build_checklist_summary(replace(REPORT, freeze=FROZEN)),
    }
    for state in DeployState:
        progress = DeployProgress(HUGE, HUGE, HUGE, state, 60, tuple(range(1, 101)), 60, (HUGE,) * 20, 1e9, HUGE)
        out[f"deploy-{state.name}"] = deploy_blocks.build_deploy(2**53, progress)
    approvers = (Mention.usergroup("S0APPROVERS"), *(Mention.user(f"U0{i:08d}") for i in range(300)))
    for status in RequestStatus:
        out[f"card-{status.value}"] = cards.build_card(
            _request(status), PLAN, approvers=approvers, steps=STEPS, note=note, proof=CARD_PROOF
        )
    return out


@functools.cache
def surfaces() -> dict[str, dict[str, Any]]:
    drill = DrillRecord(TARGET, CODE, HUGE, NOW, {"verified": 12.0}, verified=True, error=HUGE)
    board = (HUGE, FACTS[:5], REPORT, drill, _request(RequestStatus.pending))
    return {
        "target": views.build_target_view(FlowState("C0INCIDENT"), [POLICY] * 150),
        "loading": views.build_loading_view(FLOW, HUGE),
        "kind": views.build_kind_view(
            FLOW,
            EVENTS,
            [(PROMPT, True, HUGE), (CODE, False, HUGE)],
            PROMPT,
            [HUGE] * 9,
            labels={PROMPT: HUGE},
            reason=HUGE,
        ),
        "plan": views.build_plan_view(FLOW, PLAN),
        "plan-blocked": views.build_plan_view(FLOW, BLOCKED),
        "reject": decision_views.build_reject_view(_request(RequestStatus.pending)),
        "error": views.build_error_view(HUGE),
        "home": home.build_home(Catalog((POLICY,) * 60), [board] * 60, freezes={HUGE: FROZEN}),
    }


@pytest.mark.parametrize("name", sorted(messages()))
def test_messages_built_from_maximal_data_are_valid(name: str) -> None:
    assert validate_message_blocks(messages()[name]) == []


@pytest.mark.parametrize("name", sorted(surfaces()))
def test_views_built_from_maximal_data_are_valid(name: str) -> None:
    assert validate_view(surfaces()[name]) == []


def _options(view: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.extend(node.get("options") or [])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(view)
    return found


def test_a_long_prompt_name_travels_as_a_short_key_that_leads_back_to_it() -> None:
    view = views.build_plan_view(FLOW, PLAN)
    options = _options(view)
    assert len(options) == 100  # Slack's maximum per select
    assert all(len(o["value"]) <= OPTION_VALUE and len(o["text"]["text"]) <= OPTION_TEXT for o in options)
    keys = {o["value"] for o in options}
    assert len(keys) == len(options)  # no two choices share a key
    wanted = PLAN.choices[42]
    assert is_digest_key(wanted.key) and wanted.key in keys
    assert next(c for c in PLAN.choices if c.key == wanted.key) == wanted
    state = json.loads(view["private_metadata"])
    assert state["choice"] == choice_key(PLAN.choice) and len(view["private_metadata"]) <= 3000
    assert text_fits(view)


def text_fits(view: dict[str, Any]) -> bool:
    return all(len(o["text"]["text"]) <= OPTION_TEXT for o in _options(view))


def test_short_choices_keep_their_own_value() -> None:
    assert choice_key("pharmabot-prod--v1") == "pharmabot-prod--v1"
    assert choice_key("drug_info@3") == "drug_info@3"
