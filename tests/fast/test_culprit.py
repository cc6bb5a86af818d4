"""'What changed?' preselects by evidence and says why: the error onset in the telemetry, else a failing layer,
else nothing (over in-memory fakes)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from bot.domain.kinds import CODE, PROMPT
from bot.domain.signals import SignalQuery, TimeWindow
from bot.domain.tree import FlowState
from bot.errors import TelemetryError
from bot.services.flow import what_changed
from tests.fakes import APP, CHANNEL, TARGET, FakeTelemetry, FastWorld, fast_world

pytestmark = pytest.mark.fast

FLOW = FlowState(CHANNEL, TARGET.service, TARGET.environment, True)
V2 = f"{APP.name}--v2"
COLUMNS = ("revision", "calls", "errors", "p95_ms")


def _first_change_of(world: FastWorld, kind: str) -> datetime:
    return max(e.at for e in what_changed(world.deps, FLOW).events if e.kind == kind)


def test_the_change_right_before_the_errors_rose_is_preselected_with_why() -> None:
    onset: list[datetime] = []

    def by_revision(window: TimeWindow) -> FakeTelemetry.Answer:
        failing = bool(onset) and window.start >= onset[0]
        return COLUMNS, ((V2, 1000, 300 if failing else 10, 900),)

    world = fast_world(telemetry=FakeTelemetry(tables={SignalQuery.by_revision: by_revision}))
    world.clock.advance(minutes=10)  # ten minutes of calls since the prompt changed
    onset.append(_first_change_of(world, PROMPT))  # the errors rose when the prompt changed, not the revision
    found = what_changed(world.deps, FLOW)
    assert found.recommended == PROMPT
    assert found.reason.startswith("errors rose from 1.0 % to 30 % of LLM calls right after this change")
    assert found.options[0].kind == PROMPT


def test_without_an_onset_the_latest_change_to_the_failing_layer_and_a_broken_telemetry_is_said() -> None:
    def broken(window: TimeWindow) -> FakeTelemetry.Answer:
        raise TelemetryError("the workspace refused the query")

    world = fast_world(telemetry=FakeTelemetry(tables={SignalQuery.by_revision: broken}))
    found = what_changed(world.deps, FLOW)
    assert found.recommended == CODE and f"{V2} serves 100 % and is Unhealthy" in found.reason
    assert any("telemetry: the workspace refused the query" in e for e in found.errors)


def test_without_evidence_nothing_is_preselected() -> None:
    flat = FakeTelemetry(tables={SignalQuery.by_revision: lambda window: (COLUMNS, ((V2, 1000, 10, 900),))})
    world = fast_world(telemetry=flat, only=[CODE, PROMPT])
    world.apps.revisions[V2] = replace(world.apps.revisions[V2], health_state="Healthy", running_state="Running")
    found = what_changed(world.deps, FLOW)
    assert found.recommended is None and found.reason == ""
    assert flat.asked  # the telemetry was read, and showed no rise
