"""Block Kit snapshots of what people read in a rollback: the card, its thread replies, the requester's private
confirmation and every modal step.

Each snapshot is the builder's output for fixed values, stored as JSON under ``tests/data/block_kit/``; a change
to a builder shows up as a diff to review (``ROLLBACK_BOT_UPDATE_SNAPSHOTS=1`` rewrites them). Every snapshot is
checked for what people must never read: Python reprs (``{'``, ``['``, ``datetime(``, ``Decimal(``) and times
that are not Slack date tokens.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.catalog import EnvironmentPolicy
from bot.domain.kinds import CODE, PROMPT, SCHEMA
from bot.domain.plan import ChangeEvent, Choice, Plan, StepResult
from bot.domain.rollback_requests import RequestStatus, RollbackRequest, ServiceEnv
from bot.domain.traffic import TrafficRule, TrafficRules
from bot.domain.tree import FlowState
from bot.kinds import encode_plan
from bot.kinds.code import CodeState
from bot.slack import cards, decision_views, views
from bot.text import Mention, Text

SNAPSHOTS = Path(__file__).parent / "data" / "block_kit"
UPDATE = os.environ.get("ROLLBACK_BOT_UPDATE_SNAPSHOTS") == "1"
REPRS = ("{'", "['", "datetime(", "Decimal(", "UUID(", "<bot.", "object at 0x")
DATE_TOKEN = re.compile(r"<!date\^(\d+)\^\{date_short_pretty\} \{time\}\|(\d{4}-\d\d-\d\d \d\d:\d\d) UTC>")
# Plain text (option labels) cannot hold a date token: there a time is whole ISO 8601 in UTC, unambiguous.
PLAIN_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")
# A time written out by hand (what the date token replaced): 12-02 03:59, 03:59 UTC, 2026-12-02T03:59
BARE_TIME = re.compile(r"(\d\d-\d\d \d\d:\d\d|\d\d:\d\d UTC|\d{4}-\d\d-\d\dT\d\d:\d\d)")

NOW = datetime(2026, 12, 2, 3, 59, tzinfo=UTC)
TARGET = ServiceEnv("pharmabot", "prod")
APP = "pharmabot-prod"
V1, V2 = f"{APP}--v1", f"{APP}--v2"
LIVE = CodeState(
    "Multiple", V2, TrafficRules.of(TrafficRule(0, revision=V1), TrafficRule(100, revision=V2)), frozenset({V1, V2})
)
PINNED = replace(LIVE, rules=TrafficRules.named({V1: 100, V2: 0}))
PLAN = Plan(
    kind=CODE,
    choice=V1,
    current=LIVE,
    desired=PINNED,
    current_text=LIVE.describe(),
    desired_text=PINNED.describe(),
    commands=(
        f"az containerapp ingress traffic set --name {APP} --resource-group pharmabot-rg "
        f"--revision-weight {V1}=100 {V2}=0",
    ),
    roll_forward=(
        f"az containerapp ingress traffic set --name {APP} --resource-group pharmabot-rg "
        f"--revision-weight {V1}=0 {V2}=100",
    ),
    risks=("Users in flight on v2 may see one failed request.",),
    steps=("shift traffic",),
    choices=(Choice(V1, f"{V1} · 1.4.2 · Healthy · 2026-12-02 00:59 UTC"),),
    note="Traffic is pinned by revision name: a new revision gets none until traffic is moved again.",
)
STEPS = (
    StepResult("shift traffic", True, 0.42, f"traffic rules set: {PINNED.describe()}"),
    StepResult("verify traffic", True, 0.05, f"live traffic: {PINNED.describe()}"),
    StepResult("health check", True, 0.12, f"https://{V1}.example.azurecontainerapps.io/health/ready answered 200"),
)
FLOW = FlowState("C0INCIDENT", "pharmabot", "prod", True, CODE)
POLICY = EnvironmentPolicy(TARGET, ("C0INCIDENT",), "S0APPROVERS", (), 15, (CODE, PROMPT))
EVENTS = (
    ChangeEvent(NOW - timedelta(minutes=25), PROMPT, "drug_info v4 activated", actor="U0DEPLOYER"),
    ChangeEvent(NOW - timedelta(minutes=40), CODE, f"new revision {V2} (pharmabot:1.5.0), 100 % traffic"),
)


def _request(status: RequestStatus, approver: str | None = None) -> RollbackRequest:
    return RollbackRequest(
        7,
        TARGET,
        CODE,
        status,
        "U0ALICE",
        "C0INCIDENT",
        True,
        "v2 answers 500 on every drug question",
        encode_plan(PLAN),
        NOW,
        NOW + timedelta(minutes=15),
        1,
        approver_id=approver,
        message_ts="1796180340.000100",
    )


def snapshots() -> dict[str, Any]:
    rejected = Text.of("Rejected by {who}: the errors come from the model", who=Mention.user("U0BOB"))
    return {
        "card-pending": cards.build_card(
            _request(RequestStatus.pending), PLAN, approvers=(Mention.usergroup("S0APPROVERS"),)
        ),
        "card-succeeded": cards.build_card(
            _request(RequestStatus.succeeded, "U0BOB"), PLAN, steps=STEPS, note="Succeeded in 0.6 s."
        ),
        "card-rejected": cards.build_card(_request(RequestStatus.rejected, "U0BOB"), PLAN, note=rejected),
        "thread-verified": cards.build_thread(
            "Rollback verified. Roll forward (undo) with the command below.", PLAN.roll_forward, STEPS
        ),
        "thread-failed": cards.build_thread(
            "Rollback failed: Verification failed.",
            (),
            (*STEPS[:2], StepResult("health check", False, 1.5, f"{V1}'s health endpoint answered 503")),
        ),
        "history": cards.build_history([_request(RequestStatus.succeeded, "U0BOB")]),
        "posted": cards.build_request_posted(
            _request(RequestStatus.pending), "https://rollback.slack.com/archives/C0INCIDENT/p1796180340000100"
        ),
        "modal-1-target": views.build_target_view(FLOW.with_(emergency=None, kind=None), [POLICY]),
        "modal-2-kind": views.build_kind_view(
            FLOW.with_(kind=None),
            EVENTS,
            [(CODE, True, ""), (PROMPT, True, ""), (SCHEMA, False, "planned only: the plan gives the commands")],
            CODE,
            reason="errors rose from 2.5 % to 26 % of LLM calls right after this change "
            f"(new revision {V2} (pharmabot:1.5.0), 100 % traffic)",
        ),
        "modal-2-kind-no-evidence": views.build_kind_view(FLOW.with_(kind=None), EVENTS, [(CODE, True, "")], None),
        "modal-3-plan": views.build_plan_view(FLOW, PLAN),
        "modal-reject": decision_views.build_reject_view(_request(RequestStatus.pending)),
    }


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)


@pytest.mark.parametrize("name", sorted(snapshots()))
def test_block_kit_matches_its_snapshot(name: str) -> None:
    built = _text(snapshots()[name]) + "\n"
    path = SNAPSHOTS / f"{name}.json"
    if UPDATE:
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        path.write_text(built)
    assert path.exists(), f"no snapshot {path.name}: run with ROLLBACK_BOT_UPDATE_SNAPSHOTS=1 and review it"
    assert built == path.read_text()


@pytest.mark.parametrize("name", sorted(snapshots()))
def test_what_people_read_has_no_repr_and_times_are_date_tokens(name: str) -> None:
    text = json.dumps(snapshots()[name], ensure_ascii=False)
    assert not [r for r in REPRS if r in text], text
    tokens = DATE_TOKEN.findall(text)
    for epoch, fallback in tokens:  # each token's fallback is the same instant, in UTC, with the year
        assert datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%d %H:%M") == fallback
    bare = BARE_TIME.findall(PLAIN_TIME.sub("", DATE_TOKEN.sub("", text)))
    assert not bare, f"times not given as Slack date tokens: {bare}"


@pytest.mark.parametrize(
    ("name", "times"), [("card-pending", 1), ("history", 1), ("modal-2-kind", 2), ("modal-2-kind-no-evidence", 2)]
)
def test_times_in_the_card_history_and_timeline_are_date_tokens(name: str, times: int) -> None:
    assert len(DATE_TOKEN.findall(json.dumps(snapshots()[name]))) == times


def test_the_thread_reads_as_sentences_not_code() -> None:
    blocks = snapshots()["thread-verified"]
    steps = blocks[1]["text"]["text"]
    assert steps.splitlines()[0] == (
        f":white_check_mark: *shift traffic* · 0.42 s · traffic rules set: {V1}: 100 %; {V2}: 0 %"
    )
    assert "```" not in steps and "```" in blocks[2]["text"]["text"]  # only the command is code
