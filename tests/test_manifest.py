"""manifest.json is a valid Slack app manifest that asks for what the bot needs."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[1]
MANIFEST_PATH = REPO / "manifest.json"
REQUEST_PATH = "/slack/events"
URL_KEYS = frozenset({"url", "request_url", "message_menu_options_url"})

# Events the AsyncAPI spec does not describe, with the bot scopes they need.
# app_home_opened needs no scope, only a bot user (checked separately below).
SCOPES_FOR_EVENTS_NOT_IN_SPEC: dict[str, frozenset[str]] = {
    "app_home_opened": frozenset(),
}


def shared_dir() -> Path:
    configured = os.environ.get("HINDSIGHT_SHARED_DIR")
    path = Path(configured) if configured else REPO.parent / "shared"
    if not (path / "fixtures" / "specs").is_dir():
        pytest.fail(
            f"shared fixtures not found at {path}; set HINDSIGHT_SHARED_DIR to the shared/ folder"
        )
    return path


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return load_json(MANIFEST_PATH)


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = load_json(shared_dir() / "fixtures" / "specs" / "manifest.schema.1.0.0.json")
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def event_topics() -> dict[str, Any]:
    spec = load_json(shared_dir() / "fixtures" / "specs" / "slack_events_api_async_v1.json")
    return spec["topics"]


def scopes_for_event(event: str, topics: dict[str, Any]) -> frozenset[str]:
    """The spec names topics with dots: member_joined_channel is member.joined.channel."""
    topic = topics.get(event.replace("_", "."))
    if topic is not None:
        return frozenset(topic["subscribe"]["x-scopes-required"])
    if event in SCOPES_FOR_EVENTS_NOT_IN_SPEC:
        return SCOPES_FOR_EVENTS_NOT_IN_SPEC[event]
    raise AssertionError(f"event {event!r} is neither in the Events API spec nor in the local map")


def iter_urls(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in URL_KEYS and isinstance(value, str):
                yield f"{where}.{key}", value
            else:
                yield from iter_urls(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from iter_urls(item, f"{where}[{index}]")


def test_manifest_is_valid_against_the_slack_schema(manifest, validator):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(manifest)]
    assert errors == []


def test_schema_rejects_unknown_keys(manifest, validator):
    broken = copy.deepcopy(manifest)
    broken["features"]["bot_user"]["nickname"] = "hs"
    assert not validator.is_valid(broken)


def test_display_information_names_the_app(manifest):
    info = manifest["display_information"]
    assert info["name"] == "Hindsight"
    assert len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    assert "/postmortem declare" in info["long_description"]


def test_every_subscribed_event_has_its_scopes(manifest, event_topics):
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    missing = {event: sorted(scopes_for_event(event, event_topics) - granted) for event in events}
    assert {event: scopes for event, scopes in missing.items() if scopes} == {}


def test_events_the_bot_listens_for_are_subscribed(manifest):
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    expected = {
        "message.channels",
        "message.groups",
        "message.im",
        "reaction_added",
        "reaction_removed",
        "app_home_opened",
        "member_joined_channel",
    }
    assert expected <= events


def test_event_scope_lookup_uses_the_spec(event_topics):
    assert scopes_for_event("member_joined_channel", event_topics) == {
        "channels:read",
        "groups:read",
    }
    assert scopes_for_event("reaction_added", event_topics) == {"reactions:read"}
    with pytest.raises(AssertionError, match="not_an_event"):
        scopes_for_event("not_an_event", event_topics)


def test_home_tab_and_bot_user_are_enabled(manifest):
    features = manifest["features"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True
    assert features["bot_user"]["display_name"] == "hindsight"


def test_slash_command_is_postmortem_and_escapes_mentions(manifest):
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/postmortem"]
    assert commands[0]["should_escape"] is True
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]


def test_message_shortcuts_have_the_callback_ids_the_handlers_use(manifest):
    shortcuts = manifest["features"]["shortcuts"]
    assert sorted(s["callback_id"] for s in shortcuts) == ["action.create", "timeline.add"]
    assert {s["type"] for s in shortcuts} == {"message"}


def test_every_request_url_points_at_slack_events(manifest):
    urls = dict(iter_urls(manifest))
    assert set(urls) >= {
        ".features.slash_commands[0].url",
        ".settings.event_subscriptions.request_url",
        ".settings.interactivity.request_url",
    }
    wrong = {where: url for where, url in urls.items() if not url.endswith(REQUEST_PATH)}
    assert wrong == {}


def test_interactivity_is_enabled_over_http(manifest):
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False
