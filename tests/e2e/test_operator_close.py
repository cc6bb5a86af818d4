"""`rollback-bot requests close ID --reason TEXT`: audited, the card says so, never under a running replica."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.domain.kinds import CODE
from bot.domain.rollback_requests import RequestStatus, RollbackRequest
from bot.domain.tree import FlowState
from bot.services import rollbacks
from tests.harness.world import ALICE, BOB, CHANNEL, World

CODE_FLOW = FlowState(CHANNEL, "pharmabot", "prod", True, CODE)


@pytest.fixture
def cli(world: World, db_url: str, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("ROLLBACK_BOT_CONFIG", str(world.config_path))
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", world.slack.bot_token)
    monkeypatch.setenv("SLACK_API_URL", world.slack.api_url)
    monkeypatch.setenv("USER", "oncall")
    return world


def _close(request_id: int, reason: str = "bot was redeployed mid-incident; done by hand") -> Result:
    return CliRunner().invoke(main, ["requests", "close", str(request_id), "--reason", reason])


def _approved(world: World) -> RollbackRequest:
    deps = world.runtime.deps
    request = rollbacks.open_request(deps, state=CODE_FLOW, reason="v2 fails", requester_id=ALICE)
    return deps.requests.transition(
        request.id, from_status=RequestStatus.pending, to_status=RequestStatus.approved, version=1, approver_id=BOB
    )


def test_a_pending_request_is_closed_audited_and_its_card_says_so(cli: World) -> None:
    deps = cli.runtime.deps
    request = rollbacks.open_request(deps, state=CODE_FLOW, reason="v2 fails", requester_id=ALICE)
    done = _close(request.id)
    assert done.exit_code == 0, done.output
    closed = deps.requests.get(request.id)
    assert (
        closed.status is RequestStatus.cancelled and "Closed by cli:oncall: bot was redeployed" in closed.result["note"]
    )
    event = next(e for e in deps.audit.list(request_id=request.id) if e.event == "request.closed")
    assert event.actor == "cli:oncall" and event.detail == {
        "was": "pending",
        "reason": request and event.detail["reason"],
    }
    assert deps.requests.find_in_flight(request.target) is None
    card = cli.slack.message(CHANNEL, request.message_ts or "")
    assert "Cancelled" in json.dumps(card) and "Closed by cli:oncall" in json.dumps(card)


def test_an_execution_a_replica_is_running_is_not_closed(cli: World) -> None:
    deps = cli.runtime.deps
    approved = _approved(cli)
    assert deps.requests.claim(approved.id, replica="replica-2", lease_seconds=60) is not None
    refused = _close(approved.id)
    assert refused.exit_code == 2 and "being executed by replica replica-2" in refused.output
    assert deps.requests.get(approved.id).status is RequestStatus.executing
    assert "refused.not_allowed" in [e.event for e in deps.audit.list(request_id=approved.id)]


def test_an_execution_whose_replica_stopped_renewing_is_closed_as_failed(cli: World) -> None:
    deps = cli.runtime.deps
    approved = _approved(cli)
    assert deps.requests.claim(approved.id, replica="replica-2", lease_seconds=0.2) is not None
    time.sleep(0.5)
    done = _close(approved.id, "replica-2's host is gone; traffic checked by hand")
    assert done.exit_code == 0, done.output
    closed = deps.requests.get(approved.id)
    assert closed.status is RequestStatus.failed and closed.lease_owner is None
    assert deps.requests.claimable() == []  # nothing left for a claim loop to resume
    assert cli.traffic()["pharmabot-prod--v2"] == 100


def test_a_finished_request_or_no_reason_is_refused(cli: World) -> None:
    request = rollbacks.open_request(cli.runtime.deps, state=CODE_FLOW, reason="v2 fails", requester_id=ALICE)
    assert _close(request.id, "  ").exit_code == 2
    assert _close(request.id).exit_code == 0
    again = _close(request.id)
    assert again.exit_code == 2 and "already cancelled" in again.output
    assert _close(999).exit_code == 2
