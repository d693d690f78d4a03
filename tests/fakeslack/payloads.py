"""Payload pieces (``bot.simslack.payloads``) and the real captured payloads the tests send."""

from __future__ import annotations

from typing import Any

from bot.simslack.payloads import option, state_value

from .fixtures import load_fixture

__all__ = ["FIXTURE_TEMPLATES", "fixture_template", "option", "state_value"]

# Each template of ``bot.simslack.templates``, from a real payload: (fixture, key inside it).
FIXTURE_TEMPLATES: dict[str, tuple[str, str | None]] = {
    "url_verification": ("events/url_verification.bolt-python.json", None),
    "event_callback": ("events/message.channel.real.slack-web.json", None),
    "message": ("events/message.channel.real.slack-web.json", "event"),
    "message_changed": ("events/message_changed.real.slack-web.json", "event"),
    "message_deleted": ("events/message_deleted.real.slack-web.json", "event"),
    "reaction_added": ("events/reaction_added.docs.json", "event"),
    "reaction_removed": ("events/reaction_removed.docs.json", "event"),
    "app_home_opened": ("events/app_home_opened.home.real.slack-web.json", "event"),
    "slash_command": ("interactivity/slash_command.bolt-python.json", "fields"),
    "block_actions": ("interactivity/block_actions.bolt-python.json", None),
    "view_submission": ("interactivity/view_submission.bolt-python.json", None),
    "view_closed": ("interactivity/view_closed.bolt-python.json", None),
    "message_action": ("interactivity/message_action.bolt-python.json", None),
    "shortcut": ("interactivity/shortcut.global.bolt-python.json", None),
}


def fixture_template(name: str) -> dict[str, Any]:
    """The real captured payload standing for template ``name``."""
    path, key = FIXTURE_TEMPLATES[name]
    payload = load_fixture(path)
    if key is None:
        return payload
    inner = payload[key]
    assert isinstance(inner, dict)
    return inner
