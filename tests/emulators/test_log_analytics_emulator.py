"""The Azure emulator's Log Analytics query API: the official response shape, results computed from the estate
over the request's timespan, and results that follow the estate when it changes (traffic, prompts, models)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.demo import TELEMETRY_QUERIES
from sandbox.emulators.azure import AzureEmulator
from tests.signals_support import WORKSPACE, estate_with_workspace

SUB = "00000000-0000-0000-0000-000000000001"
RG = "pharmabot-rg"


@pytest.fixture
def emu() -> Iterator[AzureEmulator]:
    with AzureEmulator(estate_with_workspace()) as emulator:
        yield emulator


def ask(emu: AzureEmulator, query: str, timespan: str | None, *, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token or emu.token}"}
    return requests.post(
        f"{emu.url}/v1/workspaces/{WORKSPACE}/query",
        json={"query": query, "timespan": timespan},
        headers=headers,
        verify=emu.ca_path,
        timeout=10,
    )


def span(start: datetime, end: datetime) -> str:
    return f"{start.isoformat()}/{end.isoformat()}"


def rows(response: requests.Response) -> list[list[Any]]:
    assert response.status_code == 200, response.text
    [table] = response.json()["tables"]
    return list(table["rows"])


def test_the_answer_has_the_official_shape(emu: AzureEmulator) -> None:
    response = ask(emu, TELEMETRY_QUERIES["by_revision"], "PT1H")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["tables"]
    [table] = body["tables"]
    assert table["name"] == "PrimaryResult"
    assert table["columns"] == [
        {"name": "revision", "type": "string"},
        {"name": "calls", "type": "long"},
        {"name": "errors", "type": "long"},
        {"name": "p95_ms", "type": "real"},
    ]
    # v2 fails 20 %; prompt v4 (the last 25 of the 60 minutes) 10 % more: 2100 * 0.2 + 1500 * 0.28 = 840
    assert table["rows"] == [["pharmabot-prod--v2", 3600, 840, 2400.0]]


@pytest.mark.parametrize(
    ("timespan", "calls"),
    [("PT10M", 600), ("PT600.0S", 600), ("P1D", 86400), (None, 86400)],
)
def test_a_duration_alone_ends_now(emu: AzureEmulator, timespan: str | None, calls: int) -> None:
    [[total, _]] = rows(ask(emu, TELEMETRY_QUERIES["prompt_versions"], timespan))
    assert total == calls


def test_start_and_duration_or_end(emu: AzureEmulator) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for timespan in (
        f"{start.isoformat()}/PT5M",
        span(start, start + timedelta(minutes=5)),
        f"PT5M/{(start + timedelta(minutes=5)).isoformat()}",
    ):
        assert rows(ask(emu, TELEMETRY_QUERIES["prompt_versions"], timespan)) == [[300, 300]]


@pytest.mark.parametrize(
    ("query", "timespan", "status", "code"),
    [
        ("AppRequests | take 10", "PT1H", 400, "BadArgumentError"),
        (TELEMETRY_QUERIES["by_revision"], "yesterday", 400, "BadArgumentError"),
        ("", "PT1H", 400, "BadArgumentError"),
    ],
)
def test_what_it_cannot_answer_is_a_400(emu: AzureEmulator, query: str, timespan: str, status: int, code: str) -> None:
    response = ask(emu, query, timespan)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


def test_an_unknown_workspace_is_404_and_a_wrong_token_401(emu: AzureEmulator) -> None:
    response = requests.post(
        f"{emu.url}/v1/workspaces/00000000-0000-0000-0000-00000000dead/query",
        json={"query": "x", "timespan": "PT1H"},
        headers={"Authorization": f"Bearer {emu.token}"},
        verify=emu.ca_path,
        timeout=10,
    )
    assert response.status_code == 404
    assert ask(emu, TELEMETRY_QUERIES["by_revision"], "PT1H", token="nope").status_code == 401


def test_a_traffic_shift_moves_the_calls_and_the_error_rate_from_then_on(emu: AzureEmulator) -> None:
    shifted = datetime.now(UTC)
    emu.set_revision(SUB, RG, "pharmabot-prod", "v1", traffic_weight=100)
    before = rows(ask(emu, TELEMETRY_QUERIES["by_revision"], span(shifted - timedelta(minutes=10), shifted)))
    after = rows(
        ask(
            emu,
            TELEMETRY_QUERIES["by_revision"],
            span(shifted + timedelta(seconds=1), shifted + timedelta(minutes=10, seconds=1)),
        )
    )
    assert before == [["pharmabot-prod--v2", 600, 168, 2400.0]]
    # v1 fails 1 %, prompt v4 10 %: 1 - 0.99 * 0.9 = 10.9 %
    assert after == [["pharmabot-prod--v1", 600, 65, 850.0]]


def test_a_prompt_activation_moves_the_calls_to_that_version(emu: AzureEmulator) -> None:
    activated = datetime.now(UTC)
    response = requests.post(
        f"{emu.url}/_emulator/workspaces/{WORKSPACE}/prompts",
        json={"name": "drug_info", "version": 3},
        verify=emu.ca_path,
        timeout=10,
    )
    assert response.status_code == 200
    later = activated + timedelta(seconds=1)
    assert rows(ask(emu, TELEMETRY_QUERIES["by_prompt_version"], span(later, later + timedelta(minutes=10)))) == [
        ["drug_info", "3", 600, 120]
    ]
    earlier = rows(ask(emu, TELEMETRY_QUERIES["by_prompt_version"], span(activated - timedelta(minutes=10), activated)))
    assert earlier == [["drug_info", "4", 600, 168]]


def test_a_connected_prompt_source_is_what_the_application_uses(emu: AzureEmulator) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    emu.follow_prompts(
        WORKSPACE, lambda: {"drug_info": [(start - timedelta(days=1), "7"), (start + timedelta(minutes=5), "8")]}
    )
    answer = rows(ask(emu, TELEMETRY_QUERIES["by_prompt_version"], span(start, start + timedelta(minutes=10))))
    assert sorted(answer) == [["drug_info", "7", 300, 60], ["drug_info", "8", 300, 60]]


def test_a_model_version_change_moves_the_calls_to_that_model(emu: AzureEmulator) -> None:
    start = datetime.now(UTC) - timedelta(hours=3)
    [[deployment, version, calls, _]] = rows(
        ask(emu, TELEMETRY_QUERIES["by_model"], span(start, start + timedelta(minutes=10)))
    )
    assert (deployment, version, calls) == ("gpt4o-stable", "2024-05-13", 600)  # before -2h the old version served
    [[_, now_version, _, _]] = rows(ask(emu, TELEMETRY_QUERIES["by_model"], "PT10M"))
    assert now_version == "2024-08-06"


def test_the_traffic_history_survives_a_restart(tmp_path: Path) -> None:
    shifted = datetime.now(UTC)
    with AzureEmulator(estate_with_workspace(), state_dir=tmp_path) as emu:
        emu.set_revision(SUB, RG, "pharmabot-prod", "v1", traffic_weight=100)
    with AzureEmulator(state_dir=tmp_path) as again:
        before = rows(ask(again, TELEMETRY_QUERIES["by_revision"], span(shifted - timedelta(minutes=10), shifted)))
    assert before == [["pharmabot-prod--v2", 600, 168, 2400.0]]


def test_the_demo_estate_has_a_workspace_per_environment() -> None:
    with AzureEmulator() as emu:
        prod = emu.workspace("6f4c2a9e-1b7d-4c3e-9a8f-0d1e2f3a4b5c")
        staging = emu.workspace("0b5e8d2a-7c41-4f6e-8a3d-2e9f1c7b4a60")
    assert prod["app"].endswith("/containerApps/pharmabot-prod")
    assert staging["app"].endswith("/containerApps/pharmabot-staging")
