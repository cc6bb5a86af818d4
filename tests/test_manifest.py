"""manifest.yml validates against Slack's public manifest schema (vendored in tests/data)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "manifest.yml"
SCHEMA = ROOT / "tests" / "data" / "slack-manifest-schema" / "manifest.schema.1.0.0.json"

EXPECTED_BOT_SCOPES = {
    "commands",
    "chat:write",
    "users:read",
    "usergroups:read",
    "channels:read",
    "groups:read",
}
EVENTS_URL = "https://rollback-bot.example.com/slack/events"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Draft7Validator:
    return Draft7Validator(schema)


@pytest.fixture
def manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _errors(validator: Draft7Validator, instance: dict[str, Any]) -> list[str]:
    return [e.message for e in validator.iter_errors(instance)]


def test_schema_is_valid_draft7(schema: dict[str, Any]) -> None:
    Draft7Validator.check_schema(schema)


def test_manifest_validates(validator: Draft7Validator, manifest: dict[str, Any]) -> None:
    assert _errors(validator, manifest) == []


def _command_without_slash(m: dict[str, Any]) -> None:
    m["features"]["slash_commands"][0]["command"] = "rollback"


def _drop_description(m: dict[str, Any]) -> None:
    del m["features"]["slash_commands"][0]["description"]


def _unknown_settings_key(m: dict[str, Any]) -> None:
    m["settings"]["socket_mode_enable"] = True  # typo of socket_mode_enabled


def _long_name(m: dict[str, Any]) -> None:
    m["display_information"]["name"] = "R" * 36


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(_command_without_slash, "'rollback' does not match", id="command-without-slash"),
        pytest.param(_drop_description, "'description' is a required property", id="missing-description"),
        pytest.param(_unknown_settings_key, "Additional properties are not allowed", id="unknown-settings-key"),
        pytest.param(_long_name, "is too long", id="36-char-app-name"),
    ],
)
def test_validator_rejects_mutations(
    validator: Draft7Validator, manifest: dict[str, Any], mutate: Any, expected: str
) -> None:
    broken = copy.deepcopy(manifest)
    mutate(broken)
    errors = _errors(validator, broken)
    assert errors, "the mutated manifest should not validate"
    assert any(expected in message for message in errors), errors


def test_slash_command(manifest: dict[str, Any]) -> None:
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/rollback"]
    assert commands[0]["url"] == EVENTS_URL
    assert commands[0]["should_escape"] is False


def test_home_tab_and_interactivity(manifest: dict[str, Any]) -> None:
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["interactivity"]["request_url"] == EVENTS_URL
    assert manifest["settings"]["event_subscriptions"]["request_url"] == EVENTS_URL


def test_bot_events(manifest: dict[str, Any]) -> None:
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]


def test_bot_scopes_are_exactly_what_the_bot_needs(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert len(scopes) == len(set(scopes)), "duplicate scope"
    assert set(scopes) == EXPECTED_BOT_SCOPES
    assert "user" not in manifest["oauth_config"]["scopes"], "the bot needs no user-token scopes"


def test_display_information_limits(manifest: dict[str, Any]) -> None:
    info = manifest["display_information"]
    assert info["name"] == "Rollback Bot"
    assert len(info["description"]) <= 140
    # The schema's background_color check uses the keyword "regex", which jsonschema ignores.
    assert len(info["background_color"]) in (4, 7)
    assert info["background_color"].startswith("#")
    int(info["background_color"][1:], 16)
    assert 175 <= len(info["long_description"]) <= 4000
