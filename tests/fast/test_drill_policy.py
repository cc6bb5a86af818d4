"""Who may drill without a second person, and where: the environment's approvers, never production unless allowed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.bootstrap import build_catalog
from bot.domain.catalog import Catalog, named_like_production
from bot.domain.kinds import CODE
from bot.domain.rollback_requests import RequestStatus
from bot.errors import NotApproverError, RollbackInProgressError
from bot.kinds.builtin import BUILTIN
from bot.services.drills import start_drill
from tests.fakes import BOB, CAROL, CHANNEL, TARGET, fast_world

pytestmark = pytest.mark.fast


@pytest.mark.parametrize(
    ("name", "production"),
    [
        ("prod", True),
        ("production", True),
        ("prd", True),
        ("prod-eu", True),
        ("prod_2", True),
        ("staging", False),
        ("preprod", False),
        ("products", False),
        ("dev", False),
    ],
)
def test_production_by_name(name: str, production: bool) -> None:
    assert named_like_production(name) is production


def _policy(env: str, **settings: object):  # type: ignore[no-untyped-def]
    lines = "".join(f"        {key}: {str(value).lower()}\n" for key, value in settings.items())
    text = f"services:\n  - name: app\n    environments:\n      - name: {env}\n{lines}"
    return build_catalog(BUILTIN.parse_config(text, file="t.yaml", env={})).environments[0]


@pytest.mark.parametrize(
    ("env", "settings", "needs_approval"),
    [
        ("staging", {}, True),
        ("staging", {"drills_require_approval": False}, False),
        ("prod", {"drills_require_approval": False}, True),  # production: not without drills_in_prod
        ("prod", {"drills_require_approval": False, "drills_in_prod": True}, False),
        ("prod", {"drills_in_prod": True}, True),  # drills_in_prod alone changes nothing
        ("live", {"drills_require_approval": False, "production": True}, True),  # production by the flag
        ("prod", {"drills_require_approval": False, "production": False}, False),  # the flag wins over the name
    ],
)
def test_when_drills_need_a_second_person(env: str, settings: dict[str, object], needs_approval: bool) -> None:
    assert _policy(env, **settings).drills_need_approval is needs_approval


@pytest.mark.parametrize("drills_in_prod", [False, True])
def test_a_production_drill_waits_for_approval_unless_drills_in_prod(drills_in_prod: bool) -> None:
    world = fast_world(drills_require_approval=False)
    policy = replace(world.deps.catalog.environments[0], production=True, drills_in_prod=drills_in_prod)
    deps = replace(world.deps, catalog=Catalog((policy,)))
    if drills_in_prod:  # no second person: only the environment's approvers may start it
        with pytest.raises(NotApproverError):
            start_drill(deps, target=TARGET, kind=CODE, requester_id=CAROL, channel_id=CHANNEL)
    drill = start_drill(deps, target=TARGET, kind=CODE, requester_id=BOB, channel_id=CHANNEL)
    assert drill.status is (RequestStatus.approved if drills_in_prod else RequestStatus.pending)
    assert world.requests.slots.held[TARGET].request_id == drill.id
    with pytest.raises(RollbackInProgressError, match=f"drill #{drill.id} by {BOB}"):
        start_drill(deps, target=TARGET, kind=CODE, requester_id=BOB, channel_id=CHANNEL)
