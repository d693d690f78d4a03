"""manifest.json is a valid Slack app manifest that asks for what the bot needs."""

from __future__ import annotations

import copy
import json
import os
import re
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

# The bot scopes each Web API method needs as Hindsight uses it (docs.slack.dev; checked below
# against the docs-derived method metadata in fixtures/web_api where that lists the method).
SCOPES_FOR_METHOD: dict[str, frozenset[str]] = {
    "apps.connections.open": frozenset(),  # Socket Mode: the app-level token's connections:write
    "auth.test": frozenset(),
    "canvases.create": frozenset({"canvases:write"}),
    "chat.getPermalink": frozenset(),
    # .public: the summary and digest go to POSTMORTEM_CHANNEL / DIGEST_CHANNEL without joining.
    "chat.postMessage": frozenset({"chat:write", "chat:write.public"}),
    "chat.update": frozenset({"chat:write"}),
    "conversations.archive": frozenset({"channels:manage"}),  # only channels it created (public)
    "conversations.create": frozenset({"channels:manage"}),  # public channels only
    # Backfill reads public and private incident channels; buttons read the bot's own DMs.
    "conversations.history": frozenset({"channels:history", "groups:history", "im:history"}),
    "conversations.info": frozenset({"channels:read", "groups:read"}),
    "conversations.invite": frozenset({"channels:manage", "groups:write"}),  # adopted: private too
    "conversations.join": frozenset({"channels:join"}),
    "conversations.replies": frozenset({"channels:history", "groups:history"}),
    "files.completeUploadExternal": frozenset({"files:write"}),
    "files.getUploadURLExternal": frozenset({"files:write"}),
    "files.list": frozenset({"files:read"}),
    "pins.add": frozenset({"pins:write"}),
    "users.info": frozenset({"users:read"}),
    "users.list": frozenset({"users:read"}),  # the roster: names for the wording check
    "views.open": frozenset(),
    "views.publish": frozenset(),
    "views.push": frozenset(),
    "views.update": frozenset(),
}
# Scopes that are not for a Web API method or an event: the slash command and the shortcuts;
# users:read.email adds profile.email to users.info and users.list (a tracker's user by e-mail).
SCOPES_FOR_FEATURES = frozenset({"commands", "users:read.email"})
# Calls Bolt makes by itself: auth.test, for the bot's own ids on the first request.
IMPLICIT_METHODS = frozenset({"auth.test"})
# An SDK method that is several Web API methods.
SDK_COMPOSITES = {"files.upload.v2": {"files.getUploadURLExternal", "files.completeUploadExternal"}}
SDK_CALL = re.compile(r"\b(?:client|web_client)\.([a-z]+_[A-Za-z0-9_]+)\(")
METHOD_NAME = re.compile(
    r"[\"']((?:apps|auth|canvases|chat|conversations|files|pins|users|views)\.[A-Za-z.]+)[\"']"
)


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


SIMULATED_SLACK = REPO / "bot" / "simslack"
DEMO = REPO / "bot" / "demo"  # names methods to read the simulated workspace's records


def web_api_methods_called() -> set[str]:
    """Every Web API method the code calls: `client.chat_postMessage(` and method names given as
    strings (`reader.pages("conversations.history")`), plus what Bolt calls by itself."""
    called = set(IMPLICIT_METHODS)
    for folder in ("bot", "handlers"):
        for path in (REPO / folder).rglob("*.py"):
            if SIMULATED_SLACK in path.parents or DEMO in path.parents:  # call no method
                continue
            source = path.read_text(encoding="utf-8")
            for name in SDK_CALL.findall(source):
                dotted = name.replace("_", ".")
                called |= SDK_COMPOSITES.get(dotted, {dotted})
            called |= set(METHOD_NAME.findall(source))
    return called


def test_the_code_calls_the_methods_the_scan_expects() -> None:
    called = web_api_methods_called()
    assert {"chat.postMessage", "conversations.history", "apps.connections.open"} <= called
    assert "files.upload.v2" not in called  # expanded into the methods it calls


def test_every_method_the_code_calls_has_known_scopes() -> None:
    unknown = web_api_methods_called() - SCOPES_FOR_METHOD.keys()
    assert unknown == set(), "add the scopes these methods need to SCOPES_FOR_METHOD"


def test_bot_scopes_are_exactly_what_the_code_uses(manifest, event_topics):
    needed = set(SCOPES_FOR_FEATURES)
    for method in web_api_methods_called() & SCOPES_FOR_METHOD.keys():
        needed |= SCOPES_FOR_METHOD[method]
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        needed |= scopes_for_event(event, event_topics)
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"unused": granted - needed, "missing": needed - granted} == {
        "unused": set(),
        "missing": set(),
    }


def test_the_method_scope_table_agrees_with_the_docs():
    metadata = load_json(
        shared_dir() / "fixtures" / "web_api" / "method_metadata.docs-derived.json"
    )
    documented = {name: set(info["bot_scopes"]) for name, info in metadata["methods"].items()}
    checked = SCOPES_FOR_METHOD.keys() & documented.keys()
    assert {"chat.postMessage", "conversations.invite", "views.open"} <= checked
    wrong = {
        method: sorted(SCOPES_FOR_METHOD[method] - documented[method] - {"chat:write.public"})
        for method in checked
    }
    assert {method: scopes for method, scopes in wrong.items() if scopes} == {}
