"""What every fuzz module shares: one real bot per module, the strategies, and the invariants checked after.

The bot is the real one (``World``: Bolt over HTTP, the Slack fake, the Azure emulator, SQLite). Before the
fuzzing, alice opens a pending code rollback for each environment, so every target's slot is held: no payload,
however mutated, can open, approve or run anything without a refusal (bob, the only approver, never acts).
After each payload type: no 5xx was answered, nothing was logged at ERROR, Azure saw no write, and the
database changed only by audited refusals (``refused.*`` events) and the deliveries the bot remembers to
refuse a replay.

Examples per payload type: ``ROLLBACK_BOT_FUZZ_EXAMPLES`` (default 2000, what CI runs; a dev run may set 200).
``ROLLBACK_BOT_FUZZ_REPORT`` names a file each payload type's figures are appended to.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import text

from bot.domain.kinds import CODE
from bot.domain.tree import FlowState
from bot.services import rollbacks
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.harness.world import ALICE, CAROL, CHANNEL, DEPLOYS, World

EXAMPLES = int(os.environ.get("ROLLBACK_BOT_FUZZ_EXAMPLES", "2000"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
STRANGER = "U0STRANGER"
ACTORS = (ALICE, CAROL, STRANGER, "", "W0ENTERPRISE")  # never bob: he is the approver of both requests
CHANNELS = (CHANNEL, DEPLOYS, "C0NOTINCIDENT", "D0DIRECT", "")
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
WRITES = {"PUT", "PATCH", "POST", "DELETE"}
# Tables whose rows are the bot's state: none may change. (Audit events may only be refusals; the deliveries
# table remembers submissions and clicks so a replay changes nothing.)
STATE_TABLES = (
    "rollback_requests",
    "target_slots",
    "drills",
    "releases",
    "checklist_runs",
    "checklist_claims",
    "signal_watches",
    "drift_alerts",
)

json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)
huge_text = st.integers(min_value=3_001, max_value=40_000).map(lambda n: "é<!channel>&" * (n // 12 + 1))
hostile_text = st.one_of(
    st.text(max_size=300),
    huge_text,
    st.sampled_from(["<!channel>", "<@U0BOB>", "<https://evil.example|portal.azure.com>", "\x00", "%00", "&amp;"]),
)
ids_and_text = st.one_of(st.sampled_from([*SlackId, "", "x" * 300]), st.text(max_size=30))


class ErrorLog(logging.Handler):
    """Every record at ERROR or above, from any logger."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()[:300]}")


@dataclass
class Fuzzed:
    """The world, the requests opened before fuzzing, and what was posted."""

    world: World
    request_ids: tuple[int, int]
    errors: ErrorLog
    statuses: dict[int, int] = field(default_factory=dict)
    posted: int = 0

    def start(self) -> tuple[Snapshot, float]:
        """Begin a payload type: counts reset; what the invariants compare against, and the time."""
        self.statuses.clear()
        self.posted = 0
        self.errors.records.clear()
        return Snapshot.take(self.world), time.monotonic()

    def post(self, body: str, content_type: str) -> int:
        """Post ``body`` signed as Slack signs it; the status (a 5xx is recorded for the test to fail on)."""
        answer = self.world.factory.sign(body, content_type).post(self.world.url, timeout=30)
        self.posted += 1
        self.statuses[answer.status_code] = self.statuses.get(answer.status_code, 0) + 1
        return answer.status_code

    def post_payload(self, payload: Any) -> int:
        return self.post(urlencode({"payload": json.dumps(payload)}), FORM)


def fuzzed_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """A module's bot (``yield from`` in a module-scoped fixture), with both targets' slots held by alice."""
    world = World.start(f"sqlite:///{tmp_path_factory.mktemp('db') / 'bot.db'}", tmp_path_factory.mktemp("world"))
    errors = ErrorLog()
    root = logging.getLogger()
    try:
        deps = world.runtime.deps
        opened = [
            rollbacks.open_request(
                deps, state=FlowState(CHANNEL, "pharmabot", env, True, CODE), reason="v2 fails", requester_id=ALICE
            ).id
            for env in ("prod", "staging")
        ]
        root.addHandler(errors)
        yield Fuzzed(world, (opened[0], opened[1]), errors)
    finally:
        root.removeHandler(errors)
        world.close()


@dataclass(frozen=True)
class Snapshot:
    """What the invariants compare: the state tables, the audit events and Azure's writes."""

    tables: dict[str, list[tuple[Any, ...]]]
    audit_ids: frozenset[int]
    azure_requests: int

    @classmethod
    def take(cls, world: World) -> Snapshot:
        with world.runtime.engine.connect() as conn:
            tables = {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))] for t in STATE_TABLES}
            audit = frozenset(int(r[0]) for r in conn.execute(text("SELECT id FROM audit_events")))
        return cls(tables, audit, len(world.azure.requests.snapshot()))


def settle(world: World, timeout: float = 60.0) -> None:
    """Wait until the listeners' background work (lanes) and queued Slack messages are done."""
    deadline = time.monotonic() + timeout
    world.runtime.listeners.wait_idle(deadline)
    if world.runtime.notifier is not None:
        world.runtime.notifier.flush(deadline)


def check_invariants(fuzzed: Fuzzed, before: Snapshot, what: str, started: float) -> None:
    """No 5xx; state unchanged; only refusals audited; no Azure write. Prints the figures for the record."""
    world = fuzzed.world
    settle(world)
    after = Snapshot.take(world)
    server_errors = {status: n for status, n in fuzzed.statuses.items() if status >= 500}
    refusals = len(after.audit_ids - before.audit_ids)
    line = (
        f"fuzz {what}: {fuzzed.posted} signed requests in {time.monotonic() - started:.1f} s; "
        f"statuses {dict(sorted(fuzzed.statuses.items()))}; {refusals} refusals audited"
    )
    print(line)
    report = os.environ.get("ROLLBACK_BOT_FUZZ_REPORT")  # a file the figures are appended to (xdist hides prints)
    if report:
        with open(report, "a", encoding="utf-8") as out:
            out.write(line + "\n")
    assert not server_errors, f"{what}: {server_errors}"
    assert not fuzzed.errors.records, fuzzed.errors.records[:10]
    for table in STATE_TABLES:
        assert after.tables[table] == before.tables[table], f"{what} changed {table}"
    new_events = after.audit_ids - before.audit_ids
    with world.runtime.engine.connect() as conn:
        audited = {int(r[0]): str(r[1]) for r in conn.execute(text("SELECT id, event FROM audit_events"))}
    names = {audited[i] for i in new_events}
    assert all(name.startswith("refused.") for name in names), names
    writes = [r for r in world.azure.requests.snapshot()[before.azure_requests :] if r.method in WRITES]
    assert not writes, [(r.method, r.path) for r in writes[:5]]


def mutate(draw: Callable[[Any], Any], payload: Any, rounds: int = 4) -> Any:
    """Delete fields, replace them with any JSON value, a huge string or a wrong type, anywhere in ``payload``."""
    payload = copy.deepcopy(payload)
    for _ in range(draw(st.integers(min_value=0, max_value=rounds))):
        slots = list(_slots(payload))
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        operation = draw(st.sampled_from(["delete", "replace", "huge", "wrong_type", "empty"]))
        if operation == "delete" and isinstance(container, dict):
            del container[key]
        elif operation == "huge":
            container[key] = "x" * draw(st.integers(min_value=3_001, max_value=40_000))  # over every Slack text limit
        elif operation == "wrong_type":
            container[key] = draw(st.sampled_from([0, 1.5, True, [], {}, None, [1], {"id": 1}]))
        elif operation == "empty":
            container[key] = ""
        else:
            container[key] = draw(json_value)
    return payload


def _slots(value: Any, depth: int = 0) -> Iterator[tuple[Any, Any]]:
    if depth > 6:
        return
    if isinstance(value, dict):
        for key in list(value):
            yield value, key
            yield from _slots(value[key], depth + 1)
    elif isinstance(value, list):
        for index in range(len(value)):
            yield value, index
            yield from _slots(value[index], depth + 1)


def request_ref(fuzzed: Fuzzed) -> st.SearchStrategy[str]:
    """A button value: one of the open requests, a missing one, or anything."""
    ids = [*fuzzed.request_ids, 0, -1, 10**12]
    return st.one_of(
        st.sampled_from([encode_request_ref(i) for i in ids]),
        st.sampled_from(ids).map(lambda i: json.dumps({"request_id": str(i)})),
        st.text(max_size=50),
        json_value.map(json.dumps),
    )


def flow_metadata() -> st.SearchStrategy[str]:
    """private_metadata: a valid flow state of either target, tampered with, or anything."""
    states = [
        FlowState(CHANNEL, "pharmabot", env, emergency, kind).encode()
        for env in ("prod", "staging", "nope")
        for emergency in (True, False, None)
        for kind in (CODE, None)
    ]
    tampered = st.tuples(st.sampled_from(states), st.dictionaries(st.text(max_size=12), json_value, max_size=3)).map(
        lambda pair: json.dumps({**json.loads(pair[0]), **pair[1]})
    )
    return st.one_of(st.sampled_from(states), tampered, st.text(max_size=200), huge_text, json_value.map(json.dumps))
