"""The deploy guard over fakes: the lists it writes (labels and latestRevision unchanged apart from the weights,
on promotion and on rollback), steps, the signal gate failing a canary, stops, and the pure parsers."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.deploy import (
    DeployPolicy,
    DeployProgress,
    TemplateChange,
    creating_rules,
    parse_steps,
    promoted_rules,
    restored_rules,
    step_rules,
)
from bot.domain.freeze import check_reason, parse_duration
from bot.domain.secrets import SecretText
from bot.domain.signals import SignalQuery
from bot.domain.traffic import TrafficRule, TrafficRules
from bot.errors import DeployStoppedError, UsageError
from bot.services.deploy.guard import GuardPorts, guarded_change
from tests.fakes import APP, NOW, FakeContainerApps, FakeProbe, FakeTelemetry, revision

pytestmark = pytest.mark.fast
V1, V2, V3 = f"{APP.name}--v1", f"{APP.name}--v2", f"{APP.name}--v3"
NEW = f"{APP.name}--new"
FAST = DeployPolicy(steps=(100,), step_seconds=0, health_attempts=3, health_interval_seconds=0)
# Three revisions: v1 named under "blue", the latest (v3) through latestRevision under "green", v2 unlabelled.
BEFORE = TrafficRules.of(
    TrafficRule(0, revision=V1, label="blue"),
    TrafficRule(20, revision=V2),
    TrafficRule(80, latest_revision=True, label="green"),
)


def _apps(rules: TrafficRules = BEFORE) -> FakeContainerApps:
    revs = [revision(V1, hours_ago=3), revision(V2, hours_ago=2), revision(V3, hours_ago=1)]
    return FakeContainerApps(APP, revs, rules)


def _ports(apps: FakeContainerApps, probe: FakeProbe, **kw: Any) -> GuardPorts:
    base: dict[str, Any] = {
        "api": apps,
        "ref": APP,
        "health_url_of": lambda rev: SecretText.plain(f"https://{rev.name}.app.invalid/health"),
        "probe": probe,
        "telemetry": None,
        "clock": lambda: NOW,
        "pause": lambda seconds: None,
    }
    return GuardPorts(**{**base, **kw})


def _forms(rules: TrafficRules) -> list[tuple[object, ...]]:
    """Each rule without its weight: what must not change."""
    return [(r.revision, r.latest_revision, r.label) for r in rules.rules]


def test_promotion_keeps_every_rule_its_form_and_label_and_moves_only_weights() -> None:
    apps = _apps()
    result = guarded_change(
        _ports(apps, FakeProbe()), TemplateChange(image="acr.io/app:new"), suffix="new", settings=FAST
    )
    assert result.promoted
    assert _forms(apps.rules) == _forms(BEFORE)  # latestRevision is latestRevision again, labels kept
    assert [r.weight for r in apps.rules.rules] == [0, 0, 100]
    assert apps.latest == NEW and apps.rules.serving(apps.latest) == {NEW: 100}


def test_rollback_keeps_every_rule_and_label_pinning_latest_revision_to_what_it_served() -> None:
    apps = _apps()
    probe = FakeProbe()
    probe.status[f"https://{NEW}.app.invalid/health"] = 503
    result = guarded_change(_ports(apps, probe), TemplateChange(image="acr.io/app:bad"), suffix="new", settings=FAST)
    assert not result.promoted and "503" in result.reason and "3 tries" in result.reason
    assert apps.rules == TrafficRules.of(
        TrafficRule(0, revision=V1, label="blue"),
        TrafficRule(20, revision=V2),
        TrafficRule(80, revision=V3, label="green"),
    )
    assert apps.rules.serving(apps.latest) == BEFORE.serving(V3)  # what served, served again; new at 0 %
    assert len(probe.asked) == 3


def test_steps_scale_the_serving_rules_and_keep_their_labels() -> None:
    rules = step_rules(BEFORE, V3, NEW, 25)
    assert rules.to_json() == [
        {"revisionName": V1, "weight": 0, "label": "blue"},
        {"revisionName": V2, "weight": 15},
        {"revisionName": V3, "weight": 60, "label": "green"},
        {"revisionName": NEW, "weight": 25},
    ]
    assert creating_rules(BEFORE, V3, NEW).to_json()[-1] == {"revisionName": NEW, "weight": 0}
    assert restored_rules(BEFORE, V3).serving(V3) == {V2: 20, V3: 80}


def test_a_list_without_latest_revision_gets_the_new_revision_by_name_and_an_empty_one_latest() -> None:
    named = TrafficRules.of(TrafficRule(100, revision=V2, label="prod"), TrafficRule(0, revision=V1))
    assert promoted_rules(named, NEW).to_json() == [
        {"revisionName": V2, "weight": 0, "label": "prod"},
        {"revisionName": V1, "weight": 0},
        {"revisionName": NEW, "weight": 100},
    ]
    assert restored_rules(named, V3) == named
    assert promoted_rules(TrafficRules(), NEW).to_json() == [{"latestRevision": True, "weight": 100}]
    assert restored_rules(TrafficRules(), V3).to_json() == [{"revisionName": V3, "weight": 100}]


def test_the_signal_gate_fails_a_canary_whose_error_rate_is_worse() -> None:
    apps = _apps()
    clock = iter([NOW, NOW + timedelta(minutes=5)] * 4)
    rows = ((NEW, 100, 30, 900.0), (V2, 100, 1, 800.0), (V3, 400, 4, 800.0))
    telemetry = FakeTelemetry(tables={SignalQuery.by_revision: (("revision", "calls", "errors", "p95_ms"), rows)})
    settings = replace(FAST, steps=(10, 100))
    ports = _ports(apps, FakeProbe(), telemetry=telemetry, clock=lambda: next(clock))
    result = guarded_change(ports, TemplateChange(image="acr.io/app:new"), suffix="new", settings=settings)
    assert not result.promoted
    assert "at step 1 (10 %)" in result.reason and "error rate 30.0 %" in result.reason
    assert apps.rules.serving(apps.latest) == {V2: 20, V3: 80}


def test_a_stop_during_a_hold_rolls_back_and_progress_is_reported_in_order() -> None:
    apps = _apps()
    seen: list[DeployProgress] = []

    def pause(seconds: float) -> None:
        if seconds > 0:
            raise DeployStoppedError("aborted by U0BOB")

    settings = replace(FAST, steps=(5, 100), step_seconds=30)
    ports = _ports(apps, FakeProbe(), pause=pause, report=seen.append)
    result = guarded_change(ports, TemplateChange(image="acr.io/app:new"), suffix="new", settings=settings)
    assert not result.promoted and result.reason == "aborted by U0BOB"
    assert apps.rules.serving(apps.latest) == {V2: 20, V3: 80}
    states = [p.state.value for p in seen]
    assert states[:2] == ["starting", "creating revision"] and states[-2:] == ["rolling back", "rolled back"]
    assert seen[-1].step == 1 and seen[-1].weight == 0


def test_nothing_is_written_when_the_name_is_taken_or_the_app_is_in_single_mode() -> None:
    apps = _apps()
    with pytest.raises(UsageError, match="already exists"):
        guarded_change(_ports(apps, FakeProbe()), TemplateChange(image="x"), suffix="v2", settings=FAST)
    single = _apps()
    single.mode = "Single"
    with pytest.raises(UsageError, match="Multiple"):
        guarded_change(_ports(single, FakeProbe()), TemplateChange(image="x"), suffix="new", settings=FAST)
    assert apps.rules == BEFORE and single.rules == BEFORE and NEW not in apps.revisions


@pytest.mark.parametrize(("text", "steps"), [("100", (100,)), ("5,25,100", (5, 25, 100)), (" 10%, 100 ", (10, 100))])
def test_steps_parse(text: str, steps: tuple[int, ...]) -> None:
    assert parse_steps(text) == steps


@pytest.mark.parametrize("text", ["", "5,25", "25,5,100", "0,100", "5,5,100", "a,100", "100,101"])
def test_bad_steps_are_refused(text: str) -> None:
    with pytest.raises(UsageError):
        parse_steps(text)


def test_durations_and_reasons() -> None:
    assert parse_duration("90m") == timedelta(minutes=90)
    assert parse_duration("2h") == timedelta(hours=2) and parse_duration("1d") == timedelta(days=1)
    for bad in ("0m", "31d", "2 weeks", "-1h", "h"):
        with pytest.raises(UsageError):
            parse_duration(bad)
    with pytest.raises(UsageError):
        check_reason("   ")
    assert check_reason("  incident\n 42 ") == "incident 42"


def test_a_template_change_names_an_image_or_a_variable() -> None:
    with pytest.raises(UsageError):
        TemplateChange()
    with pytest.raises(UsageError):
        TemplateChange(env=(("1BAD", "x"),))
    assert TemplateChange(env=(("DATABASE_HOST", "db2"),)).describe() == "env DATABASE_HOST"
