"""Checks 3 to 5: prompt versions in a real ``llm_calls`` table (SQLite and PostgreSQL), backups through the real
PostgreSQL adapter over HTTPS to the Azure emulator, and drills."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, insert

from bot.adapters.telemetry import SqlTelemetryQuery
from bot.config import SqlTelemetryConfig
from bot.domain.readiness import CheckKey, CheckStatus
from bot.domain.signals import SignalQuery, TimeWindow
from bot.errors import TelemetryError
from bot.services.checks import ChecklistContext, check_backup, check_drill, check_prompt_version_logged, run_checks
from tests.services.checks_world import RG, SERVER, ChecksWorld, base_estate, passing_drill

DEFAULT_QUERY = SqlTelemetryConfig(database_url="sqlite://").query
DAY = timedelta(hours=24)


def sql_telemetry(engine: Engine, query: str = DEFAULT_QUERY) -> SqlTelemetryQuery:
    return SqlTelemetryQuery(engine, {SignalQuery.prompt_versions: query})


def last_day() -> TimeWindow:
    return TimeWindow.ending(datetime.now(UTC), DAY)


@pytest.fixture
def world() -> Iterator[ChecksWorld]:
    w = ChecksWorld()
    yield w
    w.close()


def llm_calls(engine: Engine, rows: Sequence[tuple[timedelta, str | None]]) -> None:
    """The application's call log: one row per LLM call, ``age`` ago, with or without a prompt version."""
    metadata = MetaData()
    table = Table(
        "llm_calls",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("prompt_version", String(40)),
    )
    metadata.create_all(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for age, version in rows:
            conn.execute(insert(table).values(created_at=now - age, prompt_version=version))


def telemetry_ctx(world: ChecksWorld, db_url: str, rows: Sequence[tuple[timedelta, str | None]]) -> ChecklistContext:
    engine = world.engine(db_url)
    llm_calls(engine, rows)
    telemetry = sql_telemetry(engine)
    return world.context(world.emulator(base_estate()), app=False, telemetry=telemetry)


# --- 3. prompt version logged -------------------------------------------------------------------------


def test_prompt_version_passes_when_every_call_in_the_window_has_one(world: ChecksWorld, db_url: str) -> None:
    recent = [(timedelta(minutes=m), "drug_info@4") for m in (1, 30, 600)]
    ctx = telemetry_ctx(world, db_url, [*recent, (timedelta(hours=30), None), (timedelta(days=3), None)])
    result = check_prompt_version_logged(ctx)
    assert result.status is CheckStatus.passed, result
    assert result.summary == "100 % of LLM calls carry a prompt version (3 of 3 LLM calls carry a prompt version)."
    assert result.evidence[0].startswith("window: last 1 d (since ")


def test_prompt_version_fails_below_100_percent_with_the_counts(world: ChecksWorld, db_url: str) -> None:
    rows = [(timedelta(minutes=5), "drug_info@4")] * 199 + [(timedelta(minutes=7), None)]
    result = check_prompt_version_logged(telemetry_ctx(world, db_url, rows))
    assert result.status is CheckStatus.failed
    assert result.summary.startswith(
        "99.5 % of LLM calls carry a prompt version (199 of 200; 1 without) in the last 1 d"
    )
    assert "199 of 200 LLM calls carry a prompt version" in result.evidence


def test_prompt_version_warns_without_calls_in_the_window(world: ChecksWorld, db_url: str) -> None:
    result = check_prompt_version_logged(telemetry_ctx(world, db_url, [(timedelta(days=2), None)]))
    assert result.status is CheckStatus.warn
    assert result.summary.startswith("No LLM calls logged in the last 1 d (since ")
    assert "0 of 0 LLM calls carry a prompt version" in result.evidence


def test_prompt_version_warns_without_telemetry(world: ChecksWorld) -> None:
    result = check_prompt_version_logged(world.context(world.emulator(base_estate()), app=False))
    assert result.status is CheckStatus.warn
    assert "not configured" in result.summary


def test_telemetry_query_binds_since_as_aware_utc_and_accepts_any_column_case(db_url: str, world: ChecksWorld) -> None:
    engine = world.engine(db_url)
    llm_calls(engine, [(timedelta(minutes=10), "v1"), (timedelta(hours=5), None), (timedelta(hours=50), "v1")])
    window = last_day()
    coverage = sql_telemetry(engine).prompt_version_coverage(window)
    assert (coverage.total, coverage.with_version, coverage.window) == (2, 1, window)
    fixed = sql_telemetry(engine, "SELECT 7 AS TOTAL, 7 AS With_Version").prompt_version_coverage(window)
    assert (fixed.total, fixed.with_version) == (7, 7)
    named = sql_telemetry(engine, "SELECT 9 AS total, 8 AS with_prompt_version").prompt_version_coverage(window)
    assert (named.total, named.with_version) == (9, 8)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT count(*) AS calls FROM llm_calls WHERE created_at >= :since", "returned no column 'total'"),
        ("SELECT 1 AS total, 2 AS with_version", "with_prompt_version=2 greater than total=1"),
        ("SELECT 1 AS total, 'x' AS with_version", "returned with_prompt_version=“x”, not a count"),
        ("SELECT 1 AS total, 1 AS with_version UNION ALL SELECT 2, 2", "returned 2 rows; it must return one row"),
        ("SELECT 1 AS total, 1 AS with_version WHERE 1 = 0", "returned 0 rows; it must return one row"),
        ("SELECT total, with_version FROM llm_calls_v2", "failed: ProgrammingError"),
    ],
)
def test_telemetry_query_problems_become_telemetry_errors(
    world: ChecksWorld, db_url: str, query: str, expected: str
) -> None:
    engine = world.engine(db_url)
    llm_calls(engine, [(timedelta(minutes=1), "v1")])
    telemetry = sql_telemetry(engine, query)
    if "ProgrammingError" in expected and db_url.startswith("sqlite"):
        expected = "failed: OperationalError: no such table: llm_calls_v2"
    with pytest.raises(TelemetryError, match=r"^the telemetry query prompt_versions on ") as caught:
        telemetry.prompt_version_coverage(last_day())
    assert expected in caught.value.user_message
    ctx = world.context(world.emulator(base_estate()), app=False, telemetry=telemetry)
    result = run_checks(ctx)[2]
    assert (result.key, result.status, result.summary) == (
        CheckKey.prompt_version,
        CheckStatus.failed,
        caught.value.user_message,
    )


def test_telemetry_errors_never_show_the_password(world: ChecksWorld) -> None:
    engine = world.engine("postgresql+psycopg://telemetry:s3cr3t-pw@127.0.0.1:1/app?connect_timeout=3")
    with pytest.raises(TelemetryError) as caught:
        sql_telemetry(engine).prompt_version_coverage(last_day())
    message = caught.value.user_message
    assert "s3cr3t" not in message
    assert message.startswith(
        "the telemetry query prompt_versions on postgresql+psycopg://telemetry:***@127.0.0.1:1/app"
    )
    assert "OperationalError" in message


def test_telemetry_windows_need_time_zones_and_an_end_after_the_start() -> None:
    with pytest.raises(ValueError, match="time zones"):
        TimeWindow(datetime(2026, 1, 1), datetime(2026, 1, 2, tzinfo=UTC))
    with pytest.raises(ValueError, match="end after it starts"):
        TimeWindow(datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))


# --- 4. database backup taken ---------------------------------------------------------------------------


def test_backup_passes_with_a_recent_backup_and_a_long_restore_window(world: ChecksWorld) -> None:
    result = check_backup(world.context(world.emulator(base_estate()), app=False, postgres=True))
    assert result.status is CheckStatus.passed, result
    assert result.evidence[0].startswith("newest completed backup: backup_")
    assert "(3 h ago, Full, Automatic)" in result.evidence[0]
    assert result.evidence[1] == "completed backups: 7"
    assert result.evidence[2].startswith("earliest restore point: ") and result.evidence[2].endswith("(retention 7 d)")
    assert f"az postgres flexible-server backup list --resource-group {RG} --server-name {SERVER}" in result.commands


def test_backup_warns_when_the_restore_window_is_shorter_than_the_limit(world: ChecksWorld) -> None:
    estate = base_estate()
    estate["postgres_servers"][0].update(earliest_restore="-2h", backups=[{"completed": "-1h", "name": "fresh"}])
    result = check_backup(world.context(world.emulator(estate), app=False, postgres=True))
    assert result.status is CheckStatus.warn
    assert result.summary.startswith(f"{SERVER}: earliest restore point ")
    assert result.summary.endswith("does not reach back 1 d.")
    assert result.evidence[0].startswith("newest completed backup: fresh at ")


def test_backup_fails_when_the_newest_backup_is_too_old(world: ChecksWorld) -> None:
    estate = base_estate()
    estate["postgres_servers"][0]["backups"] = {"daily": 3, "newest": "-30h"}
    result = check_backup(world.context(world.emulator(estate), app=False, postgres=True))
    assert result.status is CheckStatus.failed
    assert result.summary == f"{SERVER}: newest completed backup is 1 d 6 h old (limit 1 d)."
    assert any(c.startswith("az postgres flexible-server backup create") for c in result.commands)


def test_backup_fails_without_any_backup(world: ChecksWorld) -> None:
    estate = base_estate()
    estate["postgres_servers"][0]["backups"] = []
    result = check_backup(world.context(world.emulator(estate), app=False, postgres=True))
    assert result.status is CheckStatus.failed
    assert result.summary == f"{SERVER}: no completed backup."
    assert "newest completed backup: none" in result.evidence


def test_backup_is_not_applicable_without_postgres(world: ChecksWorld) -> None:
    result = check_backup(world.context(world.emulator(base_estate()), app=False))
    assert result.status is CheckStatus.passed
    assert result.evidence == ("no PostgreSQL server configured",)


# --- 5. rollback tested -----------------------------------------------------------------------------------


def _drill_ctx(world: ChecksWorld, **fields: Any) -> ChecklistContext:
    return world.context(world.emulator(base_estate()), app=False, **fields)


def test_drill_passes_within_the_limit_with_its_time_to_rollback(world: ChecksWorld) -> None:
    result = check_drill(_drill_ctx(world, last_passing_drill=passing_drill(timedelta(days=3), ttr=38.25)))
    assert result.status is CheckStatus.passed
    assert result.summary == "Drill passed 3 d ago; time to rollback 38.2 s."
    assert "time to rollback: 38.2 s (budget 120 s), verified: yes" in result.evidence


def test_drill_fails_when_the_last_passing_drill_is_too_old(world: ChecksWorld) -> None:
    result = check_drill(_drill_ctx(world, last_passing_drill=passing_drill(timedelta(days=45))))
    assert result.status is CheckStatus.failed
    assert result.summary == ("The last passing drill was 45 d ago (limit 30 d); run `/rollback drill pharmabot prod`.")


def test_drill_fails_without_a_passing_drill(world: ChecksWorld) -> None:
    result = check_drill(_drill_ctx(world))
    assert result.status is CheckStatus.failed
    assert result.summary == "No passing drill recorded; run `/rollback drill pharmabot prod`."


def test_drill_fails_for_a_drill_that_did_not_pass(world: ChecksWorld) -> None:
    result = check_drill(_drill_ctx(world, last_passing_drill=passing_drill(timedelta(hours=1), ttr=150.0)))
    assert result.status is CheckStatus.failed
    assert result.summary.startswith("The last recorded drill did not pass")
