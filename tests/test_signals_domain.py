"""LLM signals as pure values: reading result tables, the verdict after a rollback, the canary gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.canary import GateOutcome, judge_canary
from bot.domain.recovery import Evidence, Figures, Verdict, figures, judge, weighted_p95
from bot.domain.signals import Dimension, Group, GroupCalls, SignalQuery, SignalTable, TimeWindow, group_calls
from bot.errors import TelemetryError

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
BEFORE = TimeWindow(T0 - timedelta(minutes=10), T0)
AFTER = TimeWindow(T0 + timedelta(minutes=1), T0 + timedelta(minutes=11))
V1 = Group(Dimension.revision, "", "app--v1")
PROMPT_V3 = Group(Dimension.prompt_version, "drug_info", "3")


def rev(name: str, calls: int, errors: int, p95: float | None = None) -> GroupCalls:
    return GroupCalls(Group(Dimension.revision, "", name), calls, errors, p95)


def prompt(name: str, version: str, calls: int, errors: int) -> GroupCalls:
    return GroupCalls(Group(Dimension.prompt_version, name, version), calls, errors)


def fig(calls: int, errors: int, on: int | None) -> Figures:
    return Figures(AFTER, calls, errors, on)


# --- tables ---------------------------------------------------------------------------------------------


def test_columns_are_found_in_any_case_and_order_extra_columns_ignored() -> None:
    table = SignalTable(
        SignalQuery.by_prompt_version,
        "src",
        ("Calls", "noise", "VERSION", "Errors", "Prompt"),
        ((10, "x", 3.0, 1, "drug_info"), ("7", None, "v4", None, "other")),
    )
    rows = group_calls(table)
    assert [(r.group.describe(), r.calls, r.errors) for r in rows] == [
        ("prompt drug_info v3", 10, 1),
        ("prompt other vv4", 7, 0),
    ]


@pytest.mark.parametrize("value", [True, -1, 1.5, "many", float("nan"), float("inf")])
def test_counts_must_be_whole_non_negative_numbers(value: object) -> None:
    table = SignalTable(
        SignalQuery.by_revision, "src", ("revision", "calls", "errors", "p95_ms"), (("v1", value, 0, 1),)
    )
    with pytest.raises(TelemetryError, match=r"returned calls=.*, not a count"):
        group_calls(table)


def test_too_many_rows_are_refused() -> None:
    rows = tuple(("v", 1, 0, 1) for _ in range(501))
    table = SignalTable(SignalQuery.by_revision, "src", ("revision", "calls", "errors", "p95_ms"), rows)
    with pytest.raises(TelemetryError, match="more than 500 rows"):
        group_calls(table)


# --- proof after rollback -------------------------------------------------------------------------------


def test_figures_share_error_rate_and_calls_weighted_p95() -> None:
    rows = [rev("app--v1", 900, 9, 800.0), rev("app--v2", 100, 30, 2000.0)]
    f = figures(V1, AFTER, rows, latency=rows)
    assert (f.calls, f.errors, f.on_subject, f.share, f.error_rate) == (1000, 39, 900, 0.9, 0.039)
    assert f.p95_ms == 920.0
    assert weighted_p95([rev("a", 0, 0, 5.0)]) is None


def test_prompt_figures_count_only_that_prompt() -> None:
    rows = [prompt("drug_info", "3", 80, 0), prompt("drug_info", "4", 20, 5), prompt("other", "1", 500, 100)]
    f = figures(PROMPT_V3, AFTER, rows)
    assert (f.calls, f.errors, f.on_subject) == (100, 5, 80)


def test_without_the_subjects_query_the_error_rate_comes_from_revisions_and_the_share_is_unknown() -> None:
    f = figures(PROMPT_V3, AFTER, None, latency=[rev("app--v1", 50, 5, 900.0)])
    assert (f.calls, f.errors, f.on_subject, f.share, f.p95_ms) == (50, 5, None, None, 900.0)


def test_the_model_version_matches_a_dated_model_name() -> None:
    subject = Group(Dimension.model, "gpt4o-stable", "2024-05-13")
    rows = [GroupCalls(Group(Dimension.model, "gpt4o-stable", "gpt-4o-2024-05-13"), 40, 0)]
    assert figures(subject, AFTER, rows).on_subject == 40


@pytest.mark.parametrize(
    ("before", "after", "verdict", "reason"),
    [
        (fig(600, 168, 0), fig(600, 3, 600), Verdict.recovered, "error rate 28.0 % → 0.5 % with 100.0 % of calls"),
        (fig(600, 168, 0), fig(600, 160, 600), Verdict.not_recovered, "did not bring the errors down"),
        (fig(600, 60, 0), fig(600, 120, 600), Verdict.worse, "error rate 10.0 % → 20.0 % rose"),
        (fig(600, 168, 0), fig(600, 6, 300), Verdict.not_yet, "only 50.0 % of calls are on revision app--v1"),
        (fig(600, 168, 0), fig(5, 0, 5), Verdict.not_yet, "only 5 calls since the rollback (a verdict needs 20)"),
        (fig(0, 0, 0), fig(600, 3, 600), Verdict.recovered, "error rate n/a → 0.5 %"),
        (fig(600, 0, 0), fig(600, 5, 600), Verdict.recovered, "error rate 0.0 % → 0.8 %"),
    ],
)
def test_the_verdict(before: Figures, after: Figures, verdict: Verdict, reason: str) -> None:
    got, why = judge(V1, before, after, min_calls=20)
    assert got is verdict
    assert reason in why


def test_evidence_round_trips_through_json() -> None:
    evidence = Evidence(
        PROMPT_V3, Figures(BEFORE, 10, 2, 0, 900.0, "partial"), fig(10, 0, 10), Verdict.recovered, "r", "s"
    )
    assert Evidence.from_json(evidence.to_json()) == evidence


# --- canary gate ----------------------------------------------------------------------------------------


def test_the_canary_waits_for_enough_calls_then_passes_or_fails_by_the_ratio() -> None:
    def gate(rows: list[GroupCalls], **kw: object) -> GateOutcome:
        args = {"new_revision": "v3", "old_revisions": ["v2"], "max_error_rate_ratio": 1.5, "min_calls": 50, **kw}
        return judge_canary(rows, **args).outcome  # type: ignore[arg-type]

    assert gate([rev("v3", 49, 0), rev("v2", 500, 5)]) is GateOutcome.wait
    assert gate([rev("v3", 100, 1), rev("v2", 500, 5)]) is GateOutcome.passed  # 1 % vs 1 %
    assert gate([rev("v3", 100, 1), rev("v2", 500, 4)]) is GateOutcome.passed  # 1 % vs 0.8 % (times 1.5 = 1.2 %)
    assert gate([rev("v3", 100, 2), rev("v2", 500, 5)]) is GateOutcome.failed  # 2 % vs 1 %
    assert gate([rev("v3", 100, 1), rev("v2", 500, 0)]) is GateOutcome.failed  # no errors before: any fails
    # at 100 % the old revision serves nothing: its rate comes from the baseline window
    assert gate([rev("v3", 100, 1)], baseline=[rev("v2", 600, 6)]) is GateOutcome.passed
    assert gate([rev("v3", 100, 1)]) is GateOutcome.wait


def test_the_canary_says_why_with_numbers() -> None:
    judgement = judge_canary(
        [rev("v3", 100, 2), rev("v2", 500, 5)],
        new_revision="v3",
        old_revisions=["v2"],
        max_error_rate_ratio=1.5,
        min_calls=50,
    )
    assert judgement.reason == (
        "v3 error rate 2.0 % (2 of 100) against 1.0 % (5 of 500) on the previous revisions: above 1.5 times (1.5 %)"
    )
