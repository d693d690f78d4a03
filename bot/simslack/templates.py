"""Minimal payload templates shaped like the ones Slack sends, for ``SignedRequests``.

Each holds only the fields the builders don't fill in themselves; the tests swap them for real
captured payloads (``tests/fakeslack``), which must build the same requests.
"""

from __future__ import annotations

import copy
from typing import Any

_USER = {"id": "U0USER", "username": "user", "name": "user", "team_id": "T0TEAM1"}
_TEAM = {"id": "T0TEAM1", "domain": "workspace"}
_VIEW = {
    "id": "V0VIEW",
    "team_id": "T0TEAM1",
    "type": "modal",
    "blocks": [],
    "private_metadata": "",
    "callback_id": "",
    "state": {"values": {}},
    "hash": "1700000000.sim",
    "title": {"type": "plain_text", "text": "App"},
    "clear_on_close": False,
    "notify_on_close": False,
    "close": {"type": "plain_text", "text": "Cancel"},
    "submit": {"type": "plain_text", "text": "Submit"},
    "previous_view_id": None,
    "root_view_id": "V0VIEW",
    "app_id": "A0APP",
    "external_id": "",
    "app_installed_team_id": "T0TEAM1",
    "bot_id": "B0BOT",
}
_INTERACTION = {"token": "verification_token", "team": _TEAM, "user": _USER, "api_app_id": ""}

TEMPLATES: dict[str, dict[str, Any]] = {
    "url_verification": {
        "token": "verification_token",
        "challenge": "",
        "type": "url_verification",
    },
    "event_callback": {
        "token": "verification_token",
        "team_id": "T0TEAM1",
        "api_app_id": "",
        "event": {},
        "type": "event_callback",
        "event_id": "",
        "event_time": 0,
        "authorizations": [],
        "is_ext_shared_channel": False,
        "event_context": "",
    },
    "message": {"type": "message", "text": "", "user": "", "ts": "", "channel": ""},
    "message_changed": {"type": "message", "subtype": "message_changed", "hidden": True},
    "message_deleted": {"type": "message", "subtype": "message_deleted", "hidden": True},
    "reaction_added": {"type": "reaction_added", "user": "", "reaction": "", "item": {}},
    "reaction_removed": {"type": "reaction_removed", "user": "", "reaction": "", "item": {}},
    "app_home_opened": {"type": "app_home_opened", "user": "", "channel": "", "tab": "home"},
    "slash_command": {"token": "verification_token", "command": "", "text": ""},
    "block_actions": {
        **_INTERACTION,
        "type": "block_actions",
        "container": {},
        "trigger_id": "",
        "channel": {},
        "response_url": "",
        "actions": [],
    },
    "view_submission": {
        **_INTERACTION,
        "type": "view_submission",
        "trigger_id": "",
        "view": _VIEW,
        "response_urls": [],
    },
    "view_closed": {**_INTERACTION, "type": "view_closed", "view": _VIEW, "response_urls": []},
    "message_action": {
        **_INTERACTION,
        "type": "message_action",
        "action_ts": "",
        "channel": {},
        "callback_id": "",
        "trigger_id": "",
        "message_ts": "",
        "message": {},
        "response_url": "",
    },
    "shortcut": {
        **_INTERACTION,
        "type": "shortcut",
        "action_ts": "",
        "callback_id": "",
        "trigger_id": "",
    },
}


def template(name: str) -> dict[str, Any]:
    """A fresh copy of the template ``name``."""
    return copy.deepcopy(TEMPLATES[name])
