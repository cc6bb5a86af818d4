"""The deploy guard's canary gate over ``by_revision``, through the real azure-monitor-query client against the
emulator: the new revision's error rate against the old one's, waiting for enough calls, a baseline at 100 %."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.canary import GateOutcome
from bot.domain.signals import SignalQuery, TimeWindow
from bot.services.canary import canary_gate
from sandbox.emulators.azure import AzureEmulator
from tests.signals_support import QUERIES, estate_with_workspace, log_analytics

SUB, RG, APP = "00000000-0000-0000-0000-000000000001", "pharmabot-rg", "pharmabot-prod"
OLD, NEW = f"{APP}--v1", f"{APP}--v2"


@pytest.fixture
def emu() -> Iterator[AzureEmulator]:
    estate = estate_with_workspace(prompts={})  # only the revisions differ
    with AzureEmulator(estate) as emulator:
        emulator.set_revision(SUB, RG, APP, "v2", traffic_weight=25)  # the canary step: 25 % on the new revision
        yield emulator


def gate(emu: AzureEmulator, window: TimeWindow, **kw: object) -> object:
    args = {"new_revision": NEW, "old_revisions": [OLD], "window": window, "max_error_rate_ratio": 1.5, **kw}
    return canary_gate(log_analytics(emu), **args)  # type: ignore[arg-type]


def test_a_worse_new_revision_fails_the_gate_with_the_numbers(emu: AzureEmulator) -> None:
    now = datetime.now(UTC)
    judgement = gate(emu, TimeWindow(now + timedelta(seconds=1), now + timedelta(minutes=10, seconds=1)))
    assert judgement.outcome is GateOutcome.failed  # type: ignore[attr-defined]
    assert judgement.reason == (  # type: ignore[attr-defined]
        f"{NEW} error rate 20.0 % (30 of 150) against 1.1 % (5 of 450) on the previous revisions: "
        "above 1.5 times (1.7 %)"
    )
    [sent] = emu.requests.matching("POST", "/query")
    assert sent.body["query"] == QUERIES[SignalQuery.by_revision]


def test_a_healthy_new_revision_passes_and_too_few_calls_wait(emu: AzureEmulator) -> None:
    with emu.lock:
        emu.state["logAnalytics"]["workspaces"]["6f4c2a9e-1b7d-4c3e-9a8f-0d1e2f3a4b5c"]["revisions"][NEW][
            "errorRate"
        ] = 0.01
    now = datetime.now(UTC)
    window = TimeWindow(now + timedelta(seconds=1), now + timedelta(minutes=10, seconds=1))
    assert gate(emu, window).outcome is GateOutcome.passed  # type: ignore[attr-defined]
    short = TimeWindow(now + timedelta(seconds=1), now + timedelta(seconds=61))  # 15 calls on the new revision
    assert gate(emu, short).outcome is GateOutcome.wait  # type: ignore[attr-defined]


def test_at_100_percent_the_old_rate_comes_from_the_baseline_window() -> None:
    estate = estate_with_workspace(prompts={})
    for revision in estate["container_apps"][0]["revisions"]:
        revision["traffic"] = 100 if revision["name"] == "v1" else 0  # the old revision served everything
    with AzureEmulator(estate) as emu:
        shifted = datetime.now(UTC)
        emu.set_revision(SUB, RG, APP, "v2", traffic_weight=100)
        _judge_at_100_percent(emu, shifted)


def _judge_at_100_percent(emu: AzureEmulator, shifted: datetime) -> None:
    window = TimeWindow(shifted + timedelta(seconds=1), shifted + timedelta(minutes=10, seconds=1))
    assert gate(emu, window).outcome is GateOutcome.wait  # type: ignore[attr-defined]
    baseline = TimeWindow(shifted - timedelta(minutes=10), shifted)
    judgement = gate(emu, window, baseline=baseline)
    assert judgement.outcome is GateOutcome.failed  # type: ignore[attr-defined]
    assert (judgement.old_calls, judgement.new_calls) == (600, 600)  # type: ignore[attr-defined]


def test_without_by_revision_the_gate_does_not_apply(emu: AzureEmulator) -> None:
    telemetry = log_analytics(emu, {SignalQuery.prompt_versions: QUERIES[SignalQuery.prompt_versions]})
    now = datetime.now(UTC)
    window = TimeWindow.ending(now, timedelta(minutes=10))
    assert (
        canary_gate(telemetry, new_revision=NEW, old_revisions=[OLD], window=window, max_error_rate_ratio=1.5) is None
    )
    assert canary_gate(None, new_revision=NEW, old_revisions=[OLD], window=window, max_error_rate_ratio=1.5) is None
