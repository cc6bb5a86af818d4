"""Listeners are registered through one error reporter; it refuses listeners it could not report for."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.errors import reported


def test_reported_requires_context_and_body() -> None:
    def listener(ack: Any, context: Any) -> None:  # no body
        ack()

    with pytest.raises(TypeError, match="must accept body"):
        reported(listener)


def test_every_registered_listener_is_reported() -> None:
    """No listener reaches Bolt unwrapped (Bolt would answer 404 after 3 s when one raises after ack)."""
    from slack_bolt import App

    from handlers import actions, flow, home, slash

    app = App(signing_secret="x", token="xoxb-x", token_verification_enabled=False)
    for module in (slash, flow, actions, home):
        module.register(app)
    listeners = app._listeners
    assert listeners
    for listener in listeners:
        assert getattr(listener.ack_function, "__wrapped__", None) is not None, listener.ack_function


def test_only_real_redeliveries_count_as_retries() -> None:
    from slack_bolt import BoltRequest

    from handlers.middleware import is_retry

    def req(headers: dict[str, str]) -> BoltRequest:
        return BoltRequest(body="{}", headers={"content-type": "application/json", **headers})

    assert not is_retry(req({}))
    assert not is_retry(req({"x-slack-retry-num": "0"}))  # Socket Mode's first delivery
    assert is_retry(req({"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"}))
    assert is_retry(req({"x-slack-retry-num": "3"}))
