"""A property over every Block Kit builder: whatever the values, the bot itself never writes a Python repr.

The values are generated (texts without ``{`` and ``[``, any instant, any status, any number); the builders'
output (every string in the blocks and the notification texts) must then contain no ``{'``, ``['``,
``datetime(``: those could only come from the bot formatting a dict, a list or a datetime with ``repr``/``str``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.catalog import Catalog, EnvironmentPolicy
from bot.domain.deploy import DeployProgress, DeployState
from bot.domain.facts import Facts
from bot.domain.freeze import Freeze
from bot.domain.kinds import CODE, PROMPT
from bot.domain.plan import ChangeEvent, Choice, Plan, StepResult
from bot.domain.readiness import CheckKey, ChecklistReport, CheckResult, CheckStatus, DrillRecord
from bot.domain.recovery import CardProof, Evidence, Figures, Verdict
from bot.domain.releases import DriftReport, ItemDiff, Layer, LayerItem, Release, ReleaseStatus
from bot.domain.rollback_requests import RequestStatus, RollbackRequest, ServiceEnv
from bot.domain.signals import Dimension, Group, TimeWindow
from bot.domain.traffic import TrafficRule, TrafficRules
from bot.domain.tree import FlowState
from bot.kinds.code import CodeState
from bot.slack import blocks, cards, checklist_blocks, decision_views, deploy_blocks, home, proof, release_blocks, views
from bot.text import Mention, Text

REPRS = ("{'", "['", "datetime(")
TARGET = ServiceEnv("pharmabot", "prod")

clean = st.text(st.characters(blacklist_characters="{[", blacklist_categories=("Cs",)), max_size=40).filter(
    lambda s: "datetime(" not in s
)
texts = st.lists(clean, min_size=16, max_size=16)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC))
seconds = st.floats(min_value=0, max_value=1e6, allow_nan=False)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list | tuple):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def assert_no_repr(*surfaces: Any) -> None:
    for text in _strings(list(surfaces)):
        found = [r for r in REPRS if r in text]
        assert not found, f"{found} in {json.dumps(text, ensure_ascii=False)}"


def _plan(t: list[str], weights: tuple[int, int]) -> Plan[Any]:
    rules = TrafficRules.of(TrafficRule(weights[0], revision="app--v1"), TrafficRule(weights[1], latest_revision=True))
    state = CodeState("Multiple", "app--v2", rules, frozenset({"app--v1", "app--v2"}))
    pinned = replace(state, rules=rules.pinned_to("app--v1"))
    return Plan(
        kind=CODE,
        choice="app--v1",
        current=state,
        desired=pinned,
        current_text=state.describe(),
        desired_text=pinned.describe(),
        commands=(t[0],),
        roll_forward=(t[1],),
        risks=(t[2],),
        choices=(Choice("app--v1", t[3]),),
        note=t[4],
    )


def _request(t: list[str], status: RequestStatus, at: datetime) -> RollbackRequest:
    return RollbackRequest(
        7, TARGET, CODE, status, "U0ALICE", "C0INCIDENT", True, t[5], {}, at, at + timedelta(minutes=15), 1, "U0BOB"
    )


@PROPERTY
@given(
    t=texts,
    at=moments,
    status=st.sampled_from(list(RequestStatus)),
    took=seconds,
    ok=st.booleans(),
    weights=st.tuples(st.integers(0, 100), st.integers(0, 100)),
)
def test_the_card_thread_confirmation_and_history_write_no_repr(
    t: list[str], at: datetime, status: RequestStatus, took: float, ok: bool, weights: tuple[int, int]
) -> None:
    plan = _plan(t, weights)
    request = _request(t, status, at)
    steps = (StepResult(t[6], ok, took, t[7]), StepResult("verify traffic", ok, took, plan.desired_text))
    note = Text.of("Rejected by {who}: " + t[8].replace("}", "}}"), who=Mention.user("U0BOB"))
    assert_no_repr(
        cards.build_card(request, plan, approvers=(Mention.usergroup("S0APPROVERS"),), steps=steps, note=note),
        cards.build_card(request, plan, proof=CardProof(until=at)),
        cards.build_thread(t[9], plan.roll_forward, steps),
        cards.build_history([request]),
        cards.build_request_posted(request, "https://slack.example/archives/C0/p1"),
        cards.card_text(request),
        cards.posted_text(request),
    )


@PROPERTY
@given(
    t=texts,
    at=moments,
    culprit=st.sampled_from([None, CODE, PROMPT]),
    weights=st.tuples(st.integers(0, 100), st.integers(0, 100)),
)
def test_every_modal_step_and_the_investigation_write_no_repr(
    t: list[str], at: datetime, culprit: str | None, weights: tuple[int, int]
) -> None:
    state = FlowState("C0INCIDENT", "pharmabot", "prod", True, CODE)
    policy = EnvironmentPolicy(TARGET, ("C0INCIDENT",), "S0APPROVERS", (), 15, (CODE, PROMPT))
    events = [ChangeEvent(at, CODE, t[0], actor="U0DEPLOYER"), ChangeEvent(at - timedelta(hours=1), PROMPT, t[1])]
    facts = (Facts(t[2], t[3], ("REVISION", "TRAFFIC"), ((t[4], t[5]),), (t[6],)),)
    plan = _plan(t, weights)
    assert_no_repr(
        views.build_target_view(state.with_(kind=None), [policy]),
        views.build_loading_view(state, t[7]),
        views.build_kind_view(
            state,
            events,
            [(CODE, True, ""), (PROMPT, True, t[8]), ("schema", False, t[9])],
            culprit,
            [t[10]],
            reason=t[11],
        ),
        views.build_plan_view(state, plan),
        views.build_plan_view(state, replace(plan, blocked_reason=t[12])),
        views.build_investigation(state, events, facts, [t[13]]),
        decision_views.build_reject_view(_request(t, RequestStatus.pending, at)),
        views.build_error_view(t[14]),
    )


@PROPERTY
@given(t=texts, at=moments, calls=st.integers(0, 10**9), errors=st.integers(0, 10**6), took=seconds)
def test_status_checklists_home_releases_drift_and_proof_write_no_repr(
    t: list[str], at: datetime, calls: int, errors: int, took: float
) -> None:
    facts = (Facts(t[0], t[1], ("A", "B"), ((t[2], t[3]),), (t[4],)),)
    report = ChecklistReport(
        TARGET, at, (CheckResult(CheckKey.previous_revision, CheckStatus.failed, t[5], (t[6],), (t[7],)),)
    )
    drill = DrillRecord(TARGET, CODE, "U0BOB", at, {"verified": took}, verified=True)
    request = _request(t, RequestStatus.executing, at)
    layers = (Layer(CODE, (LayerItem(t[8], t[9], t[10], t[11]),)),)
    release = Release(7, TARGET, at, t[12], t[13], t[14], ReleaseStatus.good, layers)
    diff = ItemDiff(CODE, t[8], LayerItem(t[8], t[9], t[10]), LayerItem(t[8], t[11], t[12]))
    drift = DriftReport(TARGET, release, (diff,), (t[13],), last_good=release)
    window = TimeWindow(at - timedelta(minutes=10), at)
    figures = Figures(window, calls, min(errors, calls), 5, took, t[15])
    evidence = Evidence(Group(Dimension.revision, t[0], t[1]), figures, figures, Verdict.recovered, t[2], t[3])
    policy = EnvironmentPolicy(TARGET, ("C0INCIDENT",), "S0APPROVERS", (), 15, (CODE,))
    assert_no_repr(
        blocks.build_usage(Catalog((policy,)), t[0]),
        blocks.build_notice(t[1]),
        blocks.build_status(t[2], facts, request),
        checklist_blocks.build_checklist_summary(report),
        checklist_blocks.build_checklist_details(report),
        checklist_blocks.summary_text(report),
        home.build_home(Catalog((policy,)), [(t[3], facts, report, drill, request)], as_of=at, now=at),
        release_blocks.build_releases(TARGET, [release]),
        release_blocks.build_drift(drift, drift.diffs, FlowState("C0INCIDENT", "pharmabot", "prod", True, CODE)),
        release_blocks.drift_text(drift),
        proof.build_proof(evidence),
        proof.build_proof(None, t[4]),
        proof.proof_text(evidence),
        proof.proof_line(CardProof(until=at)),
        proof.proof_line(CardProof(posted=True, verdict=Verdict.worse, link="https://slack.example/p1")),
    )


@PROPERTY
@given(
    t=texts,
    at=moments,
    step=st.integers(0, 3),
    steps=st.lists(st.integers(1, 100), min_size=1, max_size=4),
    elapsed=seconds,
)
def test_the_deploy_message_and_freezes_write_no_repr(
    t: list[str], at: datetime, step: int, steps: list[int], elapsed: float
) -> None:
    frozen = Freeze(TARGET, "U0ALICE", t[0], at, at + timedelta(hours=2))
    surfaces: list[Any] = [
        deploy_blocks.freeze_line(frozen),
        home.build_home(Catalog(()), [], freezes={t[1]: frozen}),
    ]
    for state in DeployState:
        progress = DeployProgress(t[2], t[3], t[4], state, step, tuple(steps), steps[-1], (t[5], t[6]), elapsed, t[7])
        surfaces += [deploy_blocks.build_deploy(7, progress), deploy_blocks.deploy_text(progress)]
    assert_no_repr(*surfaces)
