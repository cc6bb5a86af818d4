"""Every metric an alert rule uses moves when its event happens: the real bot over HTTP against the Slack fake
and the Azure emulator, scraped at ``GET /metrics``; labels stay bounded by the configuration."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from bot.adapters.metrics import PrometheusMetrics
from bot.domain.rollback_requests import RequestStatus, ServiceEnv
from bot.slack.ids import SlackId
from bot.slack.payloads import encode_request_ref
from tests.e2e.flow import posted_request, submit_plan, walk_to_plan
from tests.harness.world import ALICE, BOB, World

DOCS = Path(__file__).resolve().parents[1] / "docs"
PROD = {"service": "pharmabot", "environment": "prod"}


@pytest.fixture
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = World.start(f"sqlite:///{tmp_path_factory.mktemp('db') / 'bot.db'}", tmp_path_factory.mktemp("world"))
    try:
        yield w
    finally:
        w.close()


def samples(world: World) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The scrape, as (sample name, labels) -> value."""
    text = requests.get(world.url + "/metrics", timeout=10).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(world: World, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels`` (0 when none)."""
    want = set(labels.items())
    return sum(v for (n, got), v in samples(world).items() if n == name and want <= got)


def _requested(world: World, reason: str = "v2 is failing") -> tuple[int, str]:
    submit_plan(world, walk_to_plan(world, "code"), reason)
    request = posted_request(world)
    assert request.message_ts is not None
    return request.id, request.message_ts


def test_in_flight_gauges_and_outcomes_follow_an_execution(world: World) -> None:
    """While an approved rollback runs (a slow PATCH) the gauges say one execution and its age, read from the
    database; afterwards none, and the outcome is counted with its service and environment."""
    assert value(world, "rollback_bot_executions_in_flight", **PROD) == 0
    assert value(world, "rollback_bot_in_flight_query_ok") == 1
    request_id, ts = _requested(world)
    world.azure.faults.latency(2.0, method="PATCH", path_contains="containerApps/pharmabot-prod")
    world.click(BOB, ts, SlackId.approve.value, encode_request_ref(request_id))
    world.wait(lambda: world.runtime.deps.requests.get(request_id).status is RequestStatus.executing, what="executing")
    world.wait(
        lambda: value(world, "rollback_bot_oldest_execution_age_seconds", **PROD) > 0.5, what="the oldest one's age"
    )
    assert value(world, "rollback_bot_executions_in_flight", status="executing", **PROD) == 1
    assert value(world, "rollback_bot_executions_in_flight", environment="staging") == 0
    world.wait(lambda: world.runtime.deps.requests.get(request_id).status is RequestStatus.succeeded, timeout=20)
    world.azure.faults.clear()
    assert value(world, "rollback_bot_executions_in_flight", **PROD) == 0
    assert value(world, "rollback_bot_oldest_execution_age_seconds", **PROD) == 0
    assert value(world, "rollback_bot_outcomes_total", outcome="succeeded", kind="code", **PROD) == 1
    assert value(world, "rollback_bot_requests_total", kind="code", **PROD) == 1
    assert value(world, "rollback_bot_decisions_total", decision="approved", **PROD) == 1


def test_refusals_are_counted_by_class_and_target(sqlite_world: World) -> None:
    world = sqlite_world
    request_id, ts = _requested(world)
    world.click(ALICE, ts, SlackId.approve.value, encode_request_ref(request_id))  # self-approval
    world.wait(lambda: value(world, "rollback_bot_refusals_total", reason="SelfApprovalError", **PROD) == 1)
    world.slash(ALICE, "", channel="C0NOTINCIDENT")  # not an incident channel: belongs to no target
    world.wait(lambda: value(world, "rollback_bot_refusals_total", reason="NotIncidentChannelError") == 1)


def test_azure_errors_are_counted_by_class_per_environment(sqlite_world: World) -> None:
    world = sqlite_world
    world.azure.faults.fail_next(1, 403, method="GET", path_contains="containerApps/pharmabot-prod")
    world.azure.faults.fail_next(1, 404, method="GET", path_contains="containerApps/pharmabot-staging")
    world.azure.faults.fail_next(4, 429, retry_after=0, method="GET", path_contains="deployments")
    deps = world.runtime.deps
    for target in (ServiceEnv("pharmabot", "prod"), ServiceEnv("pharmabot", "staging")):
        env = deps.environment(target)
        for kind in env.kinds.values():
            try:
                kind.plan()
            except Exception:
                continue
    assert value(world, "rollback_bot_azure_errors_total", error_class="auth", **PROD) == 1
    assert value(world, "rollback_bot_azure_errors_total", error_class="throttled", **PROD) == 1
    staging = {"service": "pharmabot", "environment": "staging"}
    assert value(world, "rollback_bot_azure_errors_total", error_class="not_found", **staging) == 1
    assert value(world, "rollback_bot_azure_errors_total", error_class="auth", **staging) == 0


def test_slack_errors_are_counted_by_method_and_class(sqlite_world: World) -> None:
    world = sqlite_world
    request_id, ts = _requested(world)
    world.slack.fail_next("chat.update", "ratelimited", retry_after=0)
    world.click(ALICE, ts, SlackId.approve.value, encode_request_ref(request_id))  # refused: an ephemeral
    world.click(BOB, ts, SlackId.approve.value, encode_request_ref(request_id))  # approved: card updates
    world.wait(
        lambda: value(world, "rollback_bot_slack_errors_total", method="chat.update", error_class="throttled") >= 1,
        what="the 429 counted",
    )
    world.slack.fail_next("views.open", "invalid_auth")
    world.slash(ALICE, "")
    world.wait(
        lambda: value(world, "rollback_bot_slack_errors_total", method="views.open", error_class="auth") == 1,
        what="invalid_auth counted",
    )
    world.slack.unreachable()
    try:
        world.runtime.readiness.report()
        assert value(world, "rollback_bot_slack_errors_total", method="auth.test", error_class="network") >= 1
    finally:
        world.slack.unreachable(False)


def test_labels_are_bounded_by_the_configuration() -> None:
    metrics = PrometheusMetrics(targets=[ServiceEnv("api", "prod")])
    metrics.count("outcomes", target=ServiceEnv("api", "prod"), outcome="failed", kind="code")
    for n in range(50):
        metrics.count("outcomes", target=ServiceEnv(f"svc{n}", "<!channel>"), outcome="failed", kind="code")
    metrics.count("refusals", reason="NotMemberError")
    text = metrics.render().decode()
    series = re.findall(r"^rollback_bot_outcomes_total\{.*$", text, flags=re.M)
    assert sorted(series) == [
        'rollback_bot_outcomes_total{environment="other",kind="code",outcome="failed",service="other"} 50.0',
        'rollback_bot_outcomes_total{environment="prod",kind="code",outcome="failed",service="api"} 1.0',
    ]
    assert 'rollback_bot_refusals_total{environment="none",reason="NotMemberError",service="none"} 1.0' in text


def test_a_hostile_request_type_is_counted_as_other(sqlite_world: World) -> None:
    world = sqlite_world
    for kind in ("x" * 200, "<!channel>", "view_submission\n"):
        body = f'{{"type": "{kind.encode("unicode_escape").decode()}", "team": {{"id": "T0ROLLBACK"}}}}'
        answer = world.factory.sign(body, "application/json").post(world.url)
        assert answer.status_code < 500
    types = {
        dict(labels).get("type") for (name, labels) in samples(world) if name == "rollback_bot_slack_requests_total"
    }
    assert types <= {"other", "command", "block_actions", "view_submission", "event_callback", "url_verification"}
    assert value(world, "rollback_bot_slack_requests_total", type="other") == 3


def alert_rules() -> list[dict]:
    """The example rules in docs/operations.md (the ```yaml block under 'Alert rules')."""
    text = (DOCS / "operations.md").read_text()
    section = text.split("## Alert rules", 1)[1]
    block = section.split("```yaml", 1)[1].split("```", 1)[0]
    loaded = yaml.safe_load(block)
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def test_every_metric_the_example_alert_rules_use_is_exported() -> None:
    rules = alert_rules()
    assert len(rules) >= 6 and all({"alert", "expr", "labels", "annotations"} <= set(rule) for rule in rules)
    exported = PrometheusMetrics().names()
    used = {name for rule in rules for name in re.findall(r"\brollback_bot_[a-z_]+", rule["expr"])}
    assert used and used <= exported, used - exported
    for name in ("checklists_missed", "checklists_unposted", "azure_errors", "slack_errors", "outcomes"):
        assert f"rollback_bot_{name}_total" in used
    assert {"rollback_bot_executions_in_flight", "rollback_bot_oldest_execution_age_seconds"} <= used
