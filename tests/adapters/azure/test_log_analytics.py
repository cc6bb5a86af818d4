"""The Log Analytics adapter through the real azure-monitor-query client, over HTTPS, against the Azure emulator:
what is sent (query, placeholders, timespan), what comes back (typed, partial, wrong shape) and what fails
(throttling within bounds, permissions, a query the service refuses, sovereign clouds)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.azure.clients import AzureClients
from bot.adapters.telemetry import LogAnalyticsTelemetry
from bot.adapters.telemetry.log_analytics import fill, kql_string, kql_timespan
from bot.config import AzureConfig
from bot.domain.readiness import CheckStatus
from bot.domain.signals import Dimension, SignalQuery, TimeWindow
from bot.errors import AzureAuthError, AzureError, AzureThrottledError, ConfigError, TelemetryError
from bot.services.checks import check_prompt_version_logged, run_checks
from tests.services.checks_world import ChecksWorld
from tests.signals_support import QUERIES, WORKSPACE, estate_with_workspace, log_analytics

HOUR = timedelta(hours=1)


@pytest.fixture
def world() -> Iterator[ChecksWorld]:
    w = ChecksWorld()
    yield w
    w.close()


def last(span: timedelta) -> TimeWindow:
    return TimeWindow.ending(datetime.now(UTC), span)


# --- what is sent -----------------------------------------------------------------------------------------


def test_the_configured_query_goes_out_with_its_placeholders_filled_and_the_window_as_timespan(
    world: ChecksWorld,
) -> None:
    emu = world.emulator(estate_with_workspace())
    kql = (
        "AppDependencies | where revision == {revision} and TimeGenerated > ago({window}) | summarize calls = count(),"
    )
    kql += " errors = countif(Success == false), p95_ms = percentile(DurationMs, 95) by revision"
    telemetry = log_analytics(emu, {SignalQuery.by_revision: kql})
    window = TimeWindow(datetime(2026, 11, 26, 9, 0, tzinfo=UTC), datetime(2026, 11, 26, 9, 10, tzinfo=UTC))
    telemetry.calls_by(Dimension.revision, window, revision='pharmabot-prod--v2"x')
    [sent] = emu.requests.matching("POST", f"/v1/workspaces/{WORKSPACE}/query")
    assert sent.body["query"] == (
        'AppDependencies | where revision == "pharmabot-prod--v2\\"x" and TimeGenerated > ago(10m) | summarize '
        "calls = count(), errors = countif(Success == false), p95_ms = percentile(DurationMs, 95) by revision"
    )
    assert sent.body["timespan"] == "2026-11-26T09:00:00.000Z/2026-11-26T09:10:00.000Z"
    assert sent.headers["authorization"] == f"Bearer {emu.token}"
    assert sent.headers["prefer"] == "wait=60"


def test_placeholders_become_kql_literals() -> None:
    assert kql_timespan(timedelta(hours=24)) == "24h"
    assert kql_timespan(timedelta(minutes=10)) == "10m"
    assert kql_timespan(timedelta(seconds=90)) == "90s"
    assert kql_string('a\\b"c\nd') == '"a\\\\b\\"cd"'
    window = TimeWindow.ending(datetime.now(UTC), timedelta(minutes=5))
    assert fill("x | where r in ({revision}) | extend d = dynamic({'a': 1}) | where t > ago({window})", window, "") == (
        "x | where r in (\"\") | extend d = dynamic({'a': 1}) | where t > ago(5m)"
    )


# --- what comes back --------------------------------------------------------------------------------------


def test_signals_per_revision_prompt_version_and_model_are_typed_from_the_official_shape(world: ChecksWorld) -> None:
    emu = world.emulator(estate_with_workspace())
    telemetry = log_analytics(emu)
    revisions, partial = telemetry.calls_by(Dimension.revision, last(timedelta(minutes=10)))
    assert partial is None
    [v2] = revisions
    # 600 calls, all on v2 (20 % errors) with prompt v4 (10 %): 1 - 0.8 * 0.9 = 28 %.
    assert (v2.group.value, v2.calls, v2.errors, v2.p95_ms) == ("pharmabot-prod--v2", 600, 168, 2400.0)
    prompts, _ = telemetry.calls_by(Dimension.prompt_version, last(timedelta(minutes=50)))
    assert sorted((p.group.describe(), p.calls) for p in prompts) == [
        ("prompt drug_info v3", 1500),
        ("prompt drug_info v4", 1500),
    ]
    [model], _ = telemetry.calls_by(Dimension.model, last(HOUR))
    assert (model.group.scope, model.group.value, model.calls) == ("gpt4o-stable", "2024-08-06", 3600)


@pytest.mark.parametrize(
    ("unversioned", "calls_per_minute", "status", "summary"),
    [
        (0.0, 60, CheckStatus.passed, "100 % of LLM calls carry a prompt version (86400 of 86400 LLM calls"),
        (0.05, 60, CheckStatus.failed, "95.0 % of LLM calls carry a prompt version (82080 of 86400; 4320 without) in"),
        (0.0, 0, CheckStatus.warn, "No LLM calls logged in the last 1 d (since "),
    ],
)
def test_checklist_item_3_passes_fails_and_warns_from_log_analytics(
    world: ChecksWorld, unversioned: float, calls_per_minute: int, status: CheckStatus, summary: str
) -> None:
    emu = world.emulator(estate_with_workspace(unversioned_share=unversioned, calls_per_minute=calls_per_minute))
    telemetry = log_analytics(emu)
    result = check_prompt_version_logged(world.context(emu, app=False, telemetry=telemetry))
    assert result.status is status, result
    assert result.summary.startswith(summary), result.summary
    assert f"source: Log Analytics workspace {WORKSPACE}" in result.evidence
    [sent] = emu.requests.matching("POST", "/query")
    assert sent.body["query"] == QUERIES[SignalQuery.prompt_versions]


def test_a_partial_result_is_used_explained_and_never_a_pass(world: ChecksWorld) -> None:
    emu = world.emulator(estate_with_workspace())
    emu.set_query_result(
        WORKSPACE,
        {
            "match": "with_prompt_version",
            "columns": ["total", "with_prompt_version"],
            "rows": [[1200, 1200]],
            "partial": "Query exceeded the memory limit on one of the cluster nodes",
        },
    )
    result = check_prompt_version_logged(world.context(emu, app=False, telemetry=log_analytics(emu)))
    assert result.status is CheckStatus.warn
    explanation = (
        "Log Analytics returned only part of the result (PartialError: Query exceeded the memory limit on one of "
        "the cluster nodes)"
    )
    assert (
        result.summary
        == "Every LLM call read carries a prompt version (1200 of 1200 LLM calls carry a prompt version), "
        f"but {explanation}."
    )
    assert explanation in result.evidence


def test_a_result_whose_columns_do_not_match_is_a_clear_check_error_not_a_crash(world: ChecksWorld) -> None:
    emu = world.emulator(estate_with_workspace())
    emu.set_query_result(
        WORKSPACE, {"match": "with_prompt_version", "columns": ["count_", "versioned"], "rows": [[5, 5]]}
    )
    ctx = world.context(emu, app=False, telemetry=log_analytics(emu))
    result = run_checks(ctx)[2]
    assert result.status is CheckStatus.failed
    assert result.summary == (
        f"the telemetry query prompt_versions on Log Analytics workspace {WORKSPACE} returned no column 'total', "
        "'with_prompt_version' (columns: count_, versioned); it must return total, with_prompt_version"
    )
    emu.set_query_result(
        WORKSPACE,
        {"match": "p95_ms", "columns": ["revision", "calls", "errors", "p95_ms"], "rows": [["v2", 3, 9, 1.5]]},
    )
    with pytest.raises(TelemetryError, match=r"by_revision .* returned errors=9 greater than calls=3 for v2"):
        log_analytics(emu).calls_by(Dimension.revision, last(HOUR))


# --- what fails -------------------------------------------------------------------------------------------


def test_429_is_retried_within_bounds_then_answers(world: ChecksWorld) -> None:
    emu = world.emulator(estate_with_workspace())
    emu.faults.fail_next(2, 429, retry_after=0.2, path_contains="/query")
    telemetry = log_analytics(emu, retry_total=3, max_retry_wait=5)
    coverage = telemetry.prompt_version_coverage(last(HOUR))
    assert (coverage.total, coverage.with_version) == (3600, 3600)
    assert len(emu.requests.matching("POST", "/query")) == 3


def test_429_past_the_bound_is_throttled_with_when_to_retry_and_no_long_wait(world: ChecksWorld) -> None:
    emu = world.emulator(estate_with_workspace())
    emu.faults.fail_next(5, 429, retry_after=90, path_contains="/query")
    started = time.monotonic()
    with pytest.raises(AzureThrottledError) as caught:
        log_analytics(emu, retry_total=3, max_retry_wait=30).prompt_version_coverage(last(HOUR))
    assert time.monotonic() - started < 5
    assert len(emu.requests.matching("POST", "/query")) == 1
    message = caught.value.user_message
    assert message.startswith(
        "Azure is throttling requests to run the telemetry query prompt_versions on Log Analytics workspace "
        f"'{WORKSPACE}'"
    )
    assert "retry after 90 s" in message
    result = run_checks(world.context(emu, app=False, telemetry=log_analytics(emu)))[2]
    assert result.status is CheckStatus.failed and "throttling" in result.summary


def test_403_names_the_role_and_a_query_the_service_refuses_says_why(world: ChecksWorld) -> None:
    emu = world.emulator(estate_with_workspace())
    emu.faults.fail_next(
        1,
        403,
        code="InsufficientAccessError",
        message="The provided credentials have insufficient access",
        path_contains="/query",
    )
    with pytest.raises(AzureAuthError) as denied:
        log_analytics(emu).prompt_version_coverage(last(HOUR))
    assert "lacks permission 'Microsoft.OperationalInsights/workspaces/query/read'" in denied.value.user_message
    assert "Assign the role 'Log Analytics Reader'" in denied.value.user_message
    telemetry = log_analytics(emu, {SignalQuery.by_revision: "AppRequests | summarize n = count()"})
    with pytest.raises(AzureError) as refused:
        telemetry.calls_by(Dimension.revision, last(HOUR))
    assert refused.value.user_message.startswith(
        "Azure refused to run the telemetry query by_revision on Log Analytics workspace "
        f"'{WORKSPACE}': 400 BadArgumentError"
    )


def test_an_unconfigured_query_is_a_clear_error(world: ChecksWorld) -> None:
    emu = world.emulator(estate_with_workspace())
    telemetry = log_analytics(emu, {SignalQuery.by_revision: QUERIES[SignalQuery.by_revision]})
    assert telemetry.configured() == (SignalQuery.by_revision,)
    with pytest.raises(TelemetryError, match=f"Log Analytics workspace {WORKSPACE} has no by_model query configured"):
        telemetry.calls_by(Dimension.model, last(HOUR))
    result = check_prompt_version_logged(world.context(emu, app=False, telemetry=telemetry))
    assert result.status is CheckStatus.warn
    assert result.summary == "The telemetry has no prompt_versions query, so prompt-version logging cannot be verified."
    assert not emu.requests.matching("POST", "/query")


@pytest.mark.parametrize(
    ("cloud", "endpoint"),
    [
        ("public", "https://api.loganalytics.io"),
        ("china", "https://api.loganalytics.azure.cn"),
        ("usgov", "https://api.loganalytics.us"),
    ],
)
def test_each_cloud_has_its_log_analytics_endpoint_and_audience(cloud: str, endpoint: str) -> None:
    client = AzureClients(AzureConfig(cloud=cloud)).logs_query()  # type: ignore[arg-type]
    assert client._endpoint == endpoint
    assert client._config.credential_scopes == [f"{endpoint}/.default"]
    override = AzureClients(AzureConfig(cloud=cloud)).logs_query("https://la.example.test/")  # type: ignore[arg-type]
    assert override._endpoint == "https://la.example.test"
    assert override._config.credential_scopes == [f"{endpoint}/.default"]


def test_the_emulator_credential_is_refused_for_a_remote_log_analytics_endpoint() -> None:
    clients = AzureClients(AzureConfig(arm_endpoint="https://127.0.0.1:1", credential="emulator"))
    with pytest.raises(ConfigError, match=r"not loopback: https://api.loganalytics.io"):
        clients.logs_query()


def test_the_ca_bundle_applies_to_the_log_analytics_endpoint(world: ChecksWorld) -> None:
    emu = world.emulator(estate_with_workspace())
    config = AzureConfig(arm_endpoint=emu.url, credential="emulator")  # no CA bundle: the emulator's CA is unknown
    telemetry = LogAnalyticsTelemetry(AzureClients(config, retry_total=0).logs_query(emu.url), WORKSPACE, QUERIES)
    with pytest.raises(AzureError, match="CERTIFICATE_VERIFY_FAILED"):
        telemetry.prompt_version_coverage(last(HOUR))
