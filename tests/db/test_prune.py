"""`rollback-bot prune` on SQLite and PostgreSQL: old records go, in-flight requests stay; only it deletes audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bot.adapters.db import migrate
from bot.adapters.db.engine import make_engine
from bot.adapters.db.models import (
    AuditPruneRow,
    AuditRow,
    ChecklistClaimRow,
    ChecklistRunRow,
    DeployRunRow,
    DrillRow,
    RequestRow,
    SignalWatchRow,
)
from bot.adapters.db.retention import SqlRetention
from bot.cli import main
from bot.domain.retention import Pruned

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=500)
RECENT = NOW - timedelta(days=10)
CUTOFF = NOW - timedelta(days=400)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


def _request(session: Session, target: str, status: str, *, created: datetime, updated: datetime) -> int:
    in_flight = status in {"pending", "approved", "executing"}
    row = RequestRow(
        service=target, environment="prod", kind="code", status=status, emergency=False, reason="r",
        requester_id="U1", channel_id="C1", plan={}, result={}, in_flight_key=f"{target}/prod" if in_flight else None,
        created_at=created, updated_at=updated, expires_at=created, version=1, is_drill=False,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row.id


def _audit(session: Session, request_id: int | None, at: datetime) -> None:
    session.add(AuditRow(request_id=request_id, at=at, actor="U1", event="e", detail={}))


def _estate(engine: Engine) -> dict[str, int]:
    """500-day-old and recent records of every kind; returns ids of the requests by role."""
    with Session(engine) as session, session.begin():
        ids = {
            "old_done": _request(session, "a", "succeeded", created=OLD, updated=OLD),
            "old_stuck": _request(session, "b", "executing", created=OLD, updated=OLD),
            "old_pending": _request(session, "c", "pending", created=OLD, updated=OLD),
            "old_but_touched": _request(session, "d", "failed", created=OLD, updated=RECENT),
            "old_late_audit": _request(session, "e", "expired", created=OLD, updated=OLD),
            "recent": _request(session, "f", "rejected", created=RECENT, updated=RECENT),
        }
        for role, request_id in ids.items():
            _audit(session, request_id, OLD if role != "recent" else RECENT)
        _audit(session, ids["old_late_audit"], RECENT)  # e.g. a reconciliation note written later
        _audit(session, None, OLD)
        _audit(session, None, RECENT)
        for started, request in ((OLD, ids["old_done"]), (OLD, None), (RECENT, None)):
            session.add(
                DrillRow(service="a", environment="prod", kind="code", actor="U1", request_id=request,
                         started_at=started, phases={}, verified=True, passed=True, error=None)
            )  # fmt: skip
        for at in (OLD, OLD + timedelta(minutes=1), RECENT):
            session.add(ChecklistRunRow(service="a", environment="prod", at=at, trigger="schedule",
                                        overall="pass", results=[]))  # fmt: skip
            session.add(ChecklistClaimRow(service="a", environment="prod", fire_time=at, claimed_by="r",
                                          claimed_at=at, posted_at=at, attempts=1, lease_until=at))  # fmt: skip
        for at, request in ((OLD, ids["old_done"]), (RECENT, ids["recent"])):
            session.add(SignalWatchRow(service="a", environment="prod", request_id=request, subject={},
                                       changed_at=at, settled_at=at, after_end=at, min_calls=1, due_at=at,
                                       created_at=at, attempts=1, finished_at=at))  # fmt: skip
        for at, finished in ((OLD, OLD), (OLD, None), (RECENT, RECENT)):  # one old deploy never finished
            session.add(DeployRunRow(service="a", environment="prod", revision="a--v2", change="image x",
                                     actor="cli:ci", started_at=at, finished_at=finished))  # fmt: skip
    return ids


def _count(engine: Engine, model: type[object]) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _request_ids(engine: Engine) -> set[int]:
    with Session(engine) as session:
        return set(session.scalars(select(RequestRow.id)))


EXPECTED = {
    "requests": 1,
    "audit_events": 2,
    "checklist_runs": 2,
    "checklist_claims": 2,
    "drills": 2,
    "signal_watches": 1,
    "deploy_runs": 1,
}


def test_dry_run_counts_and_changes_nothing(engine: Engine) -> None:
    _estate(engine)
    before = {m.__name__: _count(engine, m) for m in (RequestRow, AuditRow, DrillRow, ChecklistRunRow)}
    assert SqlRetention(engine).prune(CUTOFF, dry_run=True) == Pruned(CUTOFF, **EXPECTED)
    assert {m.__name__: _count(engine, m) for m in (RequestRow, AuditRow, DrillRow, ChecklistRunRow)} == before


def test_prune_removes_old_records_and_never_a_request_in_flight(engine: Engine) -> None:
    ids = _estate(engine)
    assert SqlRetention(engine).prune(CUTOFF) == Pruned(CUTOFF, **EXPECTED)
    assert _request_ids(engine) == set(ids.values()) - {ids["old_done"]}
    assert _count(engine, AuditRow) == 9 - 2
    assert (_count(engine, DrillRow), _count(engine, ChecklistRunRow), _count(engine, ChecklistClaimRow)) == (1, 1, 1)
    assert _count(engine, DeployRunRow) == 2  # the recent one, and the old one that never finished
    assert _count(engine, AuditPruneRow) == 0  # the cutoff never outlives the prune
    assert SqlRetention(engine).prune(CUTOFF) == Pruned(CUTOFF)  # nothing left to do


def test_outside_prune_the_audit_is_still_append_only(engine: Engine) -> None:
    _estate(engine)
    for statement in ("DELETE FROM audit_events", "UPDATE audit_events SET actor = 'U2'"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:  # a cutoff too young for them
        conn.execute(text("INSERT INTO audit_prune (cutoff) VALUES (:c)"), {"c": OLD - timedelta(days=1)})
        conn.execute(text("DELETE FROM audit_events"))
    assert _count(engine, AuditRow) == 9


def test_the_cli_prints_what_it_removed(db_url: str, engine: Engine, tmp_path: Path) -> None:
    _estate(engine)
    env = {"DATABASE_URL": db_url, "ROLLBACK_BOT_CONFIG": str(tmp_path / "none.yaml")}
    dry = CliRunner().invoke(main, ["prune", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith(
        "would remove 1 requests, 2 audit events, 2 checklist runs, 2 checklist claims, 2 drills, 1 signal watches, "
        "1 deploy runs from before "
    )
    done = CliRunner().invoke(main, ["prune", "--older-than", "400d"], env=env)
    assert done.output.startswith("removed 1 requests, 2 audit events") and "in flight are always kept" in done.output
    short = CliRunner().invoke(main, ["prune", "--older-than", "7d"], env=env)
    assert short.exit_code == 2 and "keeps at least 30 days" in short.output
