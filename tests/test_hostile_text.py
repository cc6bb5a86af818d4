"""People's text is text: whatever a person typed or Azure answered reaches Slack inert, in every builder.

Hypothesis puts arbitrary unicode (and the classic attacks: ``<!channel>``, ``<@U…>``, ``<#C…>``, disguised
``<https://…|…>`` links, ``<mailto:…>``, ``<tel:…>``) into every field a builder takes from outside the bot.
In what Slack would parse as mrkdwn, no ``<`` may survive except the bot's own tokens: mentions of ids of
the right shape and ``<!date^…>``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.catalog import Catalog, EnvironmentPolicy
from bot.domain.facts import Facts
from bot.domain.kinds import CODE
from bot.domain.plan import ChangeEvent, Choice, Plan, StepResult
from bot.domain.readiness import CheckKey, ChecklistReport, CheckResult, CheckStatus, DrillRecord
from bot.domain.recovery import CardProof, Evidence, Figures, Verdict
from bot.domain.releases import DriftReport, ItemDiff, Layer, LayerItem, Release, ReleaseStatus
from bot.domain.rollback_requests import RequestStatus, RollbackRequest, ServiceEnv
from bot.domain.signals import Dimension, Group, TimeWindow
from bot.domain.traffic import TrafficRules
from bot.domain.tree import FlowState
from bot.kinds.code import CodeState
from bot.slack import blocks, cards, checklist_blocks, decision_views, home, proof, release_blocks, views
from bot.slack.mrkdwn import escape, render, truncate
from bot.text import Mention, Text

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ATTACKS = (
    "<!channel>",
    "<!here|here>",
    "<!everyone>",
    "<@U0BOB>",
    "<@U0BOB|bob> approved",
    "<#C0GENERAL>",
    "<!subteam^S0APPROVERS>",
    "<!date^1700000000^{time}|now>",
    "<https://evil.example|https://portal.azure.com/#resource>",
    "<http://evil.example>",
    "<mailto:cfo@example.com|support>",
    "<tel:+15551234567|call us>",
    "&lt;!channel&gt;",
    "*bold* _it_ `code` ```block```",
)
hostile = st.one_of(
    st.text(max_size=60),
    st.builds(lambda a, b, c: a + b + c, st.text(max_size=12), st.sampled_from(ATTACKS), st.text(max_size=12)),
)
slack_id = st.one_of(st.sampled_from(["U0ALICE", "W0BOB", "U0CAROL9"]), hostile)
# The bot's own markup: mentions of ids of the right shape, and dates.
BOT_TOKEN = re.compile(
    r"<@[UW][A-Z0-9]{2,20}>|<#[CG][A-Z0-9]{2,20}>|<!subteam\^S[A-Z0-9]{2,20}>"
    r"|<!date\^\d+\^(?:\{date_short_pretty\} \{time\}|\{time_secs\})\|[^<>]*>"
    r"|<https://slack\.example/archives/C0/p1\|open the card>"
)
FORBIDDEN = re.compile(r"<\s*(?:!|@|#|https?:|mailto:|tel:)", re.IGNORECASE)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def mrkdwn_texts(node: Any) -> list[str]:
    """Every string Slack parses as mrkdwn: mrkdwn text objects (and what the caller adds)."""
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str) else []
        return own + [t for v in node.values() for t in mrkdwn_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in mrkdwn_texts(v)]
    return []


def assert_inert(*surfaces: Any, texts: tuple[str, ...] = ()) -> None:
    for text in [*texts, *(t for s in surfaces for t in mrkdwn_texts(s))]:
        rest = BOT_TOKEN.sub("", text)
        assert "<" not in rest and ">" not in rest, f"markup survived in {text!r}"
        assert not FORBIDDEN.search(rest)


def _plan(t: list[str]) -> Plan[Any]:
    state = CodeState("Multiple", "app--v2", TrafficRules.of(), frozenset())
    return Plan(
        kind=CODE,
        choice=t[0],
        current=state,
        desired=state,
        current_text=t[1],
        desired_text=t[2],
        commands=(t[3],),
        roll_forward=(t[4],),
        risks=(t[5],),
        choices=(Choice(t[0], t[6]), Choice(t[7], t[7])),
        note=t[8],
    )


def _request(t: list[str], requester: str, approver: str, status: RequestStatus) -> RollbackRequest:
    return RollbackRequest(
        7,
        ServiceEnv("pharmabot", "prod"),
        CODE,
        status,
        requester,
        "C0INCIDENT",
        True,
        t[9],
        {},
        NOW,
        NOW + timedelta(minutes=15),
        1,
        approver_id=approver,
    )


def _facts(t: list[str]) -> tuple[Facts, ...]:
    return (Facts(t[10], t[11], ("A", "B"), ((t[12], t[13]),), (t[14],)),)


def _report(t: list[str]) -> ChecklistReport:
    target = ServiceEnv("pharmabot", "prod")
    return ChecklistReport(
        target, NOW, (CheckResult(CheckKey.previous_revision, CheckStatus.failed, t[0], (t[1],), (t[2],)),)
    )


texts = st.lists(hostile, min_size=15, max_size=15)


@PROPERTY
@given(t=texts, requester=slack_id, approver=slack_id, status=st.sampled_from(list(RequestStatus)))
def test_request_card_history_and_thread_carry_no_markup_from_outside(
    t: list[str], requester: str, approver: str, status: RequestStatus
) -> None:
    request = _request(t, requester, approver, status)
    plan = _plan(t)
    steps = (StepResult(t[10], False, 1.0, t[11]),)
    approvers = (Mention.user(requester), Mention.usergroup(t[12]), Mention.channel(t[13]))
    card = cards.build_card(request, plan, approvers=approvers, steps=steps, note=t[14])
    card_with_text = cards.build_card(
        request, plan, note=Text.of(escape_braces(t[3]) + " by {who}", who=Mention.user(approver))
    )
    thread = cards.build_thread(t[5], [t[6], t[7]], steps)
    history = cards.build_history([request])
    posted = cards.build_request_posted(request, "https://slack.example/archives/C0/p1")
    assert_inert(card, card_with_text, thread, history, posted, texts=(cards.card_text(request), render(t[8])))


@PROPERTY
@given(t=texts)
def test_status_usage_notices_and_checklists_carry_no_markup_from_outside(t: list[str]) -> None:
    request = _request(t, t[0], t[1], RequestStatus.pending)
    report = _report(t)
    assert_inert(
        blocks.build_usage(Catalog(()), t[2]),
        blocks.build_notice(t[3]),
        blocks.build_notice(Text.of(escape_braces(t[4]) + " {who}", who=Mention.usergroup(t[5]))),
        blocks.build_status(t[6], _facts(t), request),
        checklist_blocks.build_checklist_summary(report),
        checklist_blocks.build_checklist_details(report),
        texts=(checklist_blocks.summary_text(report),),
    )


@PROPERTY
@given(t=texts, channel=slack_id)
def test_the_modal_the_investigation_and_app_home_carry_no_markup_from_outside(t: list[str], channel: str) -> None:
    state = FlowState(channel, t[0], t[1], True, CODE)
    events = [ChangeEvent(NOW, CODE, t[2], actor=t[3]), ChangeEvent(NOW, CODE, t[4], actor="U0ALICE")]
    policy = EnvironmentPolicy(ServiceEnv("pharmabot", "prod"), ("C0INCIDENT",), None, (), 15, (CODE,))
    drill = DrillRecord(ServiceEnv("pharmabot", "prod"), CODE, t[5], NOW, error=t[6])
    request = _request(t, t[7], t[8], RequestStatus.pending)
    board = (t[9], _facts(t), _report(t), drill, request)
    assert_inert(
        views.build_target_view(state, [policy]),
        views.build_loading_view(state, t[10]),
        views.build_kind_view(
            state, events, [("code", True, ""), ("schema", False, t[14])], "code", [t[11]], reason=t[12]
        ),
        views.build_plan_view(state, _plan(t)),
        views.build_investigation(state, events, _facts(t), [t[12]]),
        decision_views.build_reject_view(request),
        views.build_error_view(t[13]),
        home.build_home(Catalog((policy,)), [board]),
    )


@PROPERTY
@given(t=texts, url=st.one_of(st.just("https://slack.example/archives/C0/p1"), hostile))
def test_the_proof_after_rollback_carries_no_markup_from_outside(t: list[str], url: str) -> None:
    window = TimeWindow(NOW - timedelta(hours=1), NOW)
    figures = Figures(window, 10, 1, 5, 900.0, t[0])
    evidence = Evidence(Group(Dimension.prompt_version, t[1], t[2]), figures, figures, Verdict.worse, t[3], t[4])
    line = proof.proof_line(CardProof(posted=True, verdict=Verdict.recovered, link=url))
    rest = BOT_TOKEN.sub("", line)
    assert rest.count("<") <= 1 and (
        "<" not in rest or rest.startswith(":white_check_mark: *Proof after rollback*: <https://")
    )
    assert_inert(
        proof.build_proof(evidence),
        proof.build_proof(None, t[5]),
        texts=(proof.proof_text(evidence), proof.proof_text(None, t[6])),
    )


def escape_braces(text: str) -> str:
    """A message template made from outside text keeps its braces literal (as the bot's templates do)."""
    return text.replace("{", "{{").replace("}", "}}")


def test_the_issue_reproduction_renders_as_text() -> None:
    reason = "<!channel> <@U0BOB> approved <https://evil.example|https://portal.azure.com/…>"
    rendered = render(reason)
    assert (
        rendered == "&lt;!channel&gt; &lt;@U0BOB&gt; approved &lt;https://evil.example|https://portal.azure.com/…&gt;"
    )
    assert "<" not in json.dumps(cards.build_thread(reason, [reason]))


def test_mentions_only_of_ids_the_bot_validated() -> None:
    assert render(Text.of("{who}", who=Mention.user("U0BOB"))) == "<@U0BOB>"
    assert render(Text.of("{g}", g=Mention.usergroup("S0APPROVERS"))) == "<!subteam^S0APPROVERS>"
    assert render(Text.of("{who}", who=Mention.user("U0BOB><!channel"))) == "U0BOB&gt;&lt;!channel"


@given(text=st.text(max_size=400), limit=st.integers(min_value=1, max_value=300))
def test_truncation_fits_and_never_cuts_an_entity_or_a_token(text: str, limit: int) -> None:
    escaped = escape(text)
    cut = truncate(escaped, limit)
    assert len(cut) <= limit
    if cut != escaped:
        assert cut.endswith("…")
        body = cut[:-1]
        assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt);)*", body), body


@PROPERTY
@given(t=texts, channel=slack_id)
def test_releases_drift_and_the_kind_labels_carry_no_markup_from_outside(t: list[str], channel: str) -> None:
    target = ServiceEnv("pharmabot", "prod")
    layers = (Layer(CODE, (LayerItem(t[0], t[1], t[2], t[3], t[4]),)),)
    release = Release(7, target, NOW, t[5], t[6], t[7], ReleaseStatus.good, layers)
    diff = ItemDiff(CODE, t[8], LayerItem(t[8], t[9], t[10]), LayerItem(t[8], t[11], t[12]))
    report = DriftReport(target, release, (diff,), (t[13],), last_good=release)
    state = FlowState(channel, "pharmabot", "prod", True, CODE)
    labels = {"code": t[14]}
    assert_inert(
        release_blocks.build_releases(target, [release]),
        release_blocks.build_drift(report, report.diffs, state),
        views.build_kind_view(state, [], [("code", True, t[0]), ("release", False, t[1])], "code", labels=labels),
        texts=(release_blocks.drift_text(report),),
    )


@PROPERTY
@given(t=texts)
def test_the_deploy_message_and_freezes_carry_no_markup_from_outside(t: list[str]) -> None:
    from bot.domain.deploy import DeployProgress, DeployState
    from bot.domain.freeze import Freeze
    from bot.slack import deploy_blocks

    target = ServiceEnv("pharmabot", "prod")
    frozen = [Freeze(target, "U0ALICE", t[0], NOW, NOW), Freeze(target, t[1], t[2], NOW, NOW)]
    surfaces = [home.build_home(Catalog(()), [], freezes={t[3]: frozen[0]})]
    texts_out: list[str] = [deploy_blocks.freeze_line(f) for f in frozen]
    for state in DeployState:
        progress = DeployProgress(t[4], t[5], t[6], state, 1, (5, 100), 5, (t[7], t[8]), 1.0, t[9])
        surfaces.append({"blocks": deploy_blocks.build_deploy(7, progress)})
        texts_out.append(deploy_blocks.deploy_text(progress))
    assert_inert(*surfaces, texts=tuple(texts_out))
