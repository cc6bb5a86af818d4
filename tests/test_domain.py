"""The pure domain, without Slack, Azure or a database: state machine, guards, decision tree, plans."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import approval
from bot.domain.culprit import Stretch, by_error_onset, by_failing_layer, moments, stretches_between
from bot.domain.kinds import CODE, EMBEDDING, MODEL, PROMPT, SCHEMA
from bot.domain.people import SlackUserInfo
from bot.domain.plan import ChangeEvent, Choice, Plan
from bot.domain.rollback_requests import RequestStatus, RollbackRequest, ServiceEnv
from bot.domain.traffic import TrafficRule, TrafficRules
from bot.domain.tree import FlowState, Step, next_step
from bot.errors import (
    AlreadyDecidedError,
    ApprovalExpiredError,
    NotAllowedError,
    NotApproverError,
    NotMemberError,
    SelfApprovalError,
    UsageError,
)
from bot.kinds import encode_plan
from bot.kinds.builtin import BUILTIN
from bot.kinds.code import CodeState
from bot.slack.mrkdwn import render

KINDS = (CODE, PROMPT, MODEL, EMBEDDING, SCHEMA)

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
REQUEST = RollbackRequest(
    1,
    ServiceEnv("a", "prod"),
    CODE,
    RequestStatus.pending,
    "U0REQ",
    "C1",
    True,
    "r",
    {},
    NOW,
    NOW + timedelta(minutes=15),
    1,
)
S = RequestStatus
ALLOWED = {
    (S.pending, S.approved),
    (S.pending, S.rejected),
    (S.pending, S.cancelled),
    (S.pending, S.expired),
    (S.approved, S.executing),
    (S.approved, S.failed),
    (S.approved, S.cancelled),  # cancelled before any replica claimed it
    (S.executing, S.succeeded),
    (S.executing, S.failed),
}


@pytest.mark.parametrize("src", list(RequestStatus))
@pytest.mark.parametrize("dst", list(RequestStatus))
def test_state_machine(src: RequestStatus, dst: RequestStatus) -> None:
    request = replace(REQUEST, status=src)
    if (src, dst) in ALLOWED:
        approval.ensure_transition(request, dst)
    else:
        with pytest.raises(AlreadyDecidedError):
            approval.ensure_transition(request, dst)


def test_in_flight_statuses() -> None:
    assert {s for s in RequestStatus if s.in_flight} == {S.pending, S.approved, S.executing}


def test_guards() -> None:
    with pytest.raises(SelfApprovalError):
        approval.ensure_not_requester(REQUEST, "U0REQ")
    approval.ensure_not_requester(REQUEST, "U0OTHER")
    with pytest.raises(ApprovalExpiredError):
        approval.ensure_not_expired(REQUEST, NOW + timedelta(minutes=15))
    approval.ensure_not_expired(REQUEST, NOW + timedelta(minutes=14, seconds=59))
    with pytest.raises(AlreadyDecidedError, match="already approved by U0BOB") as decided:
        approval.ensure_pending(replace(REQUEST, status=S.approved, approver_id="U0BOB"))
    assert render(decided.value.text) == "Request #1 is already approved by <@U0BOB>."  # people are data
    with pytest.raises(NotAllowedError, match="can cancel it"):
        approval.ensure_requester(REQUEST, "U0OTHER")


HUMAN = SlackUserInfo("U0BOB", is_bot=False, deleted=False, is_guest=False)


@pytest.mark.parametrize(
    ("rule", "user", "members", "ok"),
    [
        (approval.ApproverRule(None, ()), HUMAN, frozenset(), True),  # nobody configured: any human
        (approval.ApproverRule("S1", ()), HUMAN, frozenset({"U0BOB"}), True),
        (approval.ApproverRule("S1", ()), HUMAN, frozenset({"U0X"}), False),
        (approval.ApproverRule(None, ("U0BOB",)), HUMAN, frozenset(), True),
        (approval.ApproverRule("S1", ("U0BOB",)), HUMAN, frozenset(), True),
        (approval.ApproverRule(None, ()), replace(HUMAN, is_bot=True), frozenset(), False),
        (approval.ApproverRule(None, ()), replace(HUMAN, deleted=True), frozenset(), False),
        (approval.ApproverRule("S1", ()), replace(HUMAN, is_guest=True), frozenset({"U0BOB"}), False),
        (approval.ApproverRule(None, ()), None, frozenset(), False),
        (approval.ApproverRule(None, ()), replace(HUMAN, is_stranger=True), frozenset(), False),  # Slack Connect
        (approval.ApproverRule(None, ()), replace(HUMAN, team_id="T0OTHER"), frozenset(), False),
        (approval.ApproverRule(None, ()), replace(HUMAN, team_id="T0HOME"), frozenset(), True),
    ],
)
def test_approver_rule(
    rule: approval.ApproverRule, user: SlackUserInfo | None, members: frozenset[str], ok: bool
) -> None:
    if ok:
        approval.ensure_approver(rule, user, members, "T0HOME")
    else:
        with pytest.raises(NotApproverError):
            approval.ensure_approver(rule, user, members, "T0HOME")


@pytest.mark.parametrize(
    ("user", "why"),
    [
        (replace(HUMAN, team_id="T0HOME"), None),
        (replace(HUMAN, is_guest=True), "guest"),
        (replace(HUMAN, is_bot=True), "bot"),
        (replace(HUMAN, deleted=True), "deactivated"),
        (replace(HUMAN, is_stranger=True), "another organization"),
        (replace(HUMAN, team_id="T0OTHER"), "another organization"),
    ],
)
def test_requesters_are_full_members_of_the_installing_workspace(user: SlackUserInfo, why: str | None) -> None:
    if why is None:
        assert approval.ensure_member(user, "T0HOME") is user
    else:
        with pytest.raises(NotMemberError, match=why):
            approval.ensure_member(user, "T0HOME")


@pytest.mark.parametrize(
    ("state", "step"),
    [
        (FlowState("C1"), Step.target),
        (FlowState("C1", "a", "prod"), Step.target),
        (FlowState("C1", "a", "prod", emergency=False), Step.investigate),
        (FlowState("C1", "a", "prod", emergency=False, investigated=True), Step.what_changed),
        (FlowState("C1", "a", "prod", emergency=True), Step.what_changed),
        (FlowState("C1", "a", "prod", emergency=True, kind=PROMPT), Step.plan),
    ],
)
def test_decision_tree(state: FlowState, step: Step) -> None:
    assert next_step(state) is step
    assert FlowState.decode(state.encode(), KINDS) == state


def test_bad_private_metadata_is_a_usage_error() -> None:
    for text in ("", "{", '{"channel_id": "C1", "kind": "banana"}', "[]"):
        with pytest.raises(UsageError):
            FlowState.decode(text, KINDS)


def _stretches(events: list[ChangeEvent], rates: list[tuple[int, int]]) -> list[Stretch]:
    spans = stretches_between(events, since=NOW - timedelta(hours=24), now=NOW)
    assert len(spans) == len(rates)
    return [Stretch(a, b, calls, errors) for (a, b), (calls, errors) in zip(spans, rates, strict=True)]


def test_the_culprit_is_the_change_at_the_most_recent_error_onset_not_the_latest_change() -> None:
    events = [
        ChangeEvent(NOW - timedelta(hours=3), CODE, "new revision v1"),
        ChangeEvent(NOW - timedelta(minutes=40), CODE, "new revision v2"),
        ChangeEvent(NOW - timedelta(minutes=25), PROMPT, "drug_info v4 activated"),
    ]
    # 2.5 % before v2, 26 % after it, 35 % after v4: v2 is the onset (x1.35 is no clear rise)
    found = by_error_onset(events, _stretches(events, [(1000, 25), (1000, 25), (900, 234), (1500, 531)]))
    assert found is not None and found.kind == CODE and found.onset and not found.several
    assert found.reason == "errors rose from 2.5 % to 26 % of LLM calls right after this change (new revision v2)"
    # a clear rise after v4 makes it the most recent onset
    found = by_error_onset(events, _stretches(events, [(1000, 25), (1000, 25), (900, 234), (1500, 900)]))
    assert found is not None and found.kind == PROMPT
    # too few calls after a change tell nothing; flat errors point nowhere
    assert by_error_onset(events, _stretches(events, [(1000, 25), (1000, 25), (900, 22), (4, 4)])) is None
    assert by_error_onset(events, _stretches(events, [(1000, 25), (1000, 25), (900, 22), (1500, 37)])) is None


def test_changes_in_one_moment_are_one_stretch_and_say_they_went_out_together() -> None:
    events = [
        ChangeEvent(NOW - timedelta(minutes=30), MODEL, "gpt-4o 2024-11-20"),
        ChangeEvent(NOW - timedelta(minutes=31), CODE, "new revision v3"),
        ChangeEvent(NOW - timedelta(minutes=30, seconds=30), PROMPT, "drug_info v5 activated"),
    ]
    assert len(moments(events)) == 1
    found = by_error_onset(events, _stretches(events, [(1000, 10), (500, 200)]))
    assert found is not None and found.kind == CODE and found.together == (CODE, PROMPT, MODEL) and found.several


def test_without_an_onset_the_most_recent_change_to_a_failing_layer_else_nothing() -> None:
    events = [
        ChangeEvent(NOW - timedelta(minutes=40), CODE, "new revision v2"),
        ChangeEvent(NOW - timedelta(minutes=25), PROMPT, "drug_info v4 activated"),
    ]
    found = by_failing_layer(events, {CODE: "v2 serves 100 % and is Unhealthy"})
    assert found is not None and found.kind == CODE and not found.onset
    assert found.reason == "v2 serves 100 % and is Unhealthy; the most recent change to it: new revision v2"
    assert by_failing_layer(events, {}) is None
    assert by_failing_layer(events, {MODEL: "broken"}) is None  # no change to that layer in the timeline


def test_plan_round_trip_and_stale_comparison() -> None:
    rules = TrafficRules.of(TrafficRule(100, latest_revision=True), TrafficRule(0, revision="v1", label="blue"))
    current = CodeState("Multiple", "v2", rules, frozenset({"v1", "v2"}))
    plan = Plan(
        kind=CODE,
        choice="v1",
        current=current,
        desired=replace(current, rules=rules.pinned_to("v1")),
        current_text="v2 100 %",
        desired_text="v1 100 %",
        commands=("az …",),
        roll_forward=("az rest …",),
        risks=("risk",),
        steps=("shift traffic",),
        choices=(Choice("v1", "v1 label"),),
        note="pinned",
    )
    stored = json.loads(json.dumps(encode_plan(plan)))
    assert BUILTIN.kinds.decode_plan(stored) == plan
    assert plan.same_starting_point(replace(plan, choice="v0"))
    label_moved = TrafficRules.of(TrafficRule(100, latest_revision=True), TrafficRule(0, revision="v1", label="green"))
    assert not plan.same_starting_point(replace(plan, current=replace(current, rules=label_moved)))
    named = TrafficRules.of(TrafficRule(100, revision="v2"), TrafficRule(0, revision="v1", label="blue"))
    assert not plan.same_starting_point(replace(plan, current=replace(current, rules=named)))


def test_a_plan_stored_by_an_earlier_version_is_shown_never_executed() -> None:
    old = {
        "kind": "code",
        "executable": True,
        "choice": "v1",
        "current_text": "v2: 100 %",
        "desired_text": "v1: 100 %",
        "current": {"mode": "Multiple", "traffic": {"v2": 100}},
        "desired": {"traffic": {"v1": 100, "v2": 0}, "health_url": "https://v1/health"},
        "commands": ["az containerapp ingress traffic set …"],
        "risks": [],
        "steps": ["shift traffic"],
        "choices": [],
        "blocked_reason": None,
    }
    plan = BUILTIN.kinds.decode_plan(old)
    assert plan.legacy and not plan.executable
    assert (plan.current_text, plan.desired_text, plan.commands) == ("v2: 100 %", "v1: 100 %", tuple(old["commands"]))
    assert not plan.same_starting_point(plan)
