"""The SQL telemetry adapter's named queries on a real call log, on SQLite and PostgreSQL: the window and the
revision bound as parameters, rows typed per revision / prompt version / model, and bad answers explained."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from bot.adapters.db.engine import make_engine
from bot.adapters.telemetry import SqlTelemetryQuery, build_telemetry
from bot.config import SqlTelemetryConfig, TelemetryQueries
from bot.domain.signals import Dimension, SignalQuery, TimeWindow
from bot.errors import TelemetryError

NOW = datetime.now(UTC).replace(microsecond=0)
BY_REVISION = (
    "SELECT revision, count(*) AS calls, sum(CASE WHEN ok THEN 0 ELSE 1 END) AS errors, max(duration_ms) AS p95_ms"
    " FROM llm_calls WHERE created_at >= :since AND created_at < :until GROUP BY revision"
)
BY_PROMPT = (
    "SELECT prompt_name AS prompt, prompt_version AS version, count(*) AS calls,"
    " sum(CASE WHEN ok THEN 0 ELSE 1 END) AS errors FROM llm_calls"
    " WHERE created_at >= :since AND created_at < :until AND prompt_version IS NOT NULL"
    " GROUP BY prompt_name, prompt_version"
)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE llm_calls (id INTEGER PRIMARY KEY, created_at TIMESTAMP WITH TIME ZONE, revision TEXT,"
                " prompt_name TEXT, prompt_version INTEGER, ok BOOLEAN, duration_ms INTEGER)"
            )
        )
        rows = [
            # 20 minutes ago: v2 with prompt v4, half of them failing
            *[(20, "app--v2", 4, i % 2 == 0, 2400) for i in range(10)],
            # 5 minutes ago: v1 with prompt v3, one failing
            *[(5, "app--v1", 3, i != 0, 900) for i in range(8)],
            # 3 days ago: outside every window
            (3 * 24 * 60, "app--v0", 2, False, 100),
        ]
        for i, (age, revision, version, ok, ms) in enumerate(rows):
            conn.execute(
                text("INSERT INTO llm_calls VALUES (:id, :t, :r, 'drug_info', :v, :ok, :ms)"),
                {"id": i + 1, "t": NOW - timedelta(minutes=age), "r": revision, "v": version, "ok": ok, "ms": ms},
            )
    yield engine
    engine.dispose()


def telemetry(engine: Engine) -> SqlTelemetryQuery:
    return SqlTelemetryQuery(engine, {SignalQuery.by_revision: BY_REVISION, SignalQuery.by_prompt_version: BY_PROMPT})


def test_calls_by_revision_and_prompt_version_in_a_window(engine: Engine) -> None:
    before = TimeWindow(NOW - timedelta(minutes=30), NOW - timedelta(minutes=10))
    after = TimeWindow(NOW - timedelta(minutes=10), NOW + timedelta(minutes=1))
    source = telemetry(engine)
    [v2], partial = source.calls_by(Dimension.revision, before)
    assert partial is None
    assert (v2.group.value, v2.calls, v2.errors, v2.p95_ms) == ("app--v2", 10, 5, 2400.0)
    [v3], _ = source.calls_by(Dimension.prompt_version, after)
    assert (v3.group.describe(), v3.calls, v3.errors) == ("prompt drug_info v3", 8, 1)


def test_the_revision_is_bound_as_a_parameter_never_spliced(engine: Engine) -> None:
    query = (
        "SELECT revision, count(*) AS calls, 0 AS errors, NULL AS p95_ms FROM llm_calls"
        " WHERE revision = :revision GROUP BY revision"
    )
    source = SqlTelemetryQuery(engine, {SignalQuery.by_revision: query})
    window = TimeWindow.ending(NOW, timedelta(days=7))
    [row], _ = source.calls_by(Dimension.revision, window, revision="app--v1")
    assert (row.group.value, row.calls, row.p95_ms) == ("app--v1", 8, None)
    assert source.calls_by(Dimension.revision, window, revision="x' OR '1'='1")[0] == ()


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        (
            "SELECT revision, count(*) AS calls FROM llm_calls GROUP BY revision",
            "returned no column 'errors', 'p95_ms'",
        ),
        (
            "SELECT 'v1' AS revision, 1 AS calls, 2 AS errors, 5 AS p95_ms",
            "returned errors=2 greater than calls=1 for v1",
        ),
        ("SELECT 'v1' AS revision, 1 AS calls, 0 AS errors, -5 AS p95_ms", "returned p95_ms=“-5”, not a duration"),
        (
            "SELECT 'v1' AS revision, 1.5 AS calls, 0 AS errors, 5 AS p95_ms",
            "returned calls=“1.5”, not a count",
        ),
    ],
)
def test_wrong_answers_are_telemetry_errors_naming_the_query(engine: Engine, query: str, problem: str) -> None:
    source = SqlTelemetryQuery(engine, {SignalQuery.by_revision: query})
    with pytest.raises(TelemetryError) as caught:
        source.calls_by(Dimension.revision, TimeWindow.ending(NOW, timedelta(hours=1)))
    message = caught.value.user_message
    assert message.startswith("the telemetry query by_revision on ")
    assert problem in message


def test_the_factory_builds_the_sql_kind_with_every_named_query(engine: Engine) -> None:
    config = SqlTelemetryConfig(
        database_url=str(engine.url), queries=TelemetryQueries(by_revision=BY_REVISION, by_prompt_version=BY_PROMPT)
    )
    built = build_telemetry(config, engine=lambda url: engine, clients=lambda: pytest.fail("no Azure for SQL"))
    assert built.configured() == (SignalQuery.prompt_versions, SignalQuery.by_revision, SignalQuery.by_prompt_version)
    assert built.source == engine.url.render_as_string(hide_password=True)
