"""Payload pieces: block state values and inner Events API events."""

from __future__ import annotations

import copy
import secrets
import string
import uuid
from typing import Any

from . import templates
from .server import SimSlack

_OPTION_ONE = {"static_select", "radio_buttons", "external_select"}
_OPTION_MANY = {"multi_static_select", "checkboxes", "multi_external_select"}
_SCALAR = {
    "plain_text_input": "value",
    "number_input": "value",
    "email_text_input": "value",
    "url_text_input": "value",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "rich_text_input": "rich_text_value",
}


def option(value: Any) -> dict[str, Any]:
    """A Block Kit option from a value string, a (text, value) pair or an option dict."""
    if isinstance(value, dict):
        return copy.deepcopy(value)
    text, val = value if isinstance(value, tuple) else (value, value)
    return {"text": {"type": "plain_text", "text": text, "emoji": True}, "value": val}


def state_value(element_type: str, value: Any) -> dict[str, Any]:
    """One ``state.values[block_id][action_id]`` entry, shaped as Slack sends it."""
    if element_type in _OPTION_ONE:
        return {"type": element_type, "selected_option": None if value is None else option(value)}
    if element_type in _OPTION_MANY:
        return {"type": element_type, "selected_options": [option(v) for v in value or []]}
    if element_type in _SCALAR:
        return {"type": element_type, _SCALAR[element_type]: value}
    raise ValueError(f"unsupported element type: {element_type}")


def find_element(blocks: Any, action_id: str) -> tuple[str | None, dict[str, Any] | None]:
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict):
            continue
        for el in [block.get("element"), block.get("accessory"), *(block.get("elements") or [])]:
            if isinstance(el, dict) and el.get("action_id") == action_id:
                return block.get("block_id"), el
    return None, None


def rich_text(text: str) -> list[dict[str, Any]]:
    """The rich_text blocks Slack attaches to a user-typed message."""
    block_id = "".join(secrets.choice(string.ascii_letters) for _ in range(4))
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return [{"type": "rich_text", "block_id": block_id, "elements": [section]}]


class EventBuilders:
    """Inner events built from templates (mixed into SignedRequests)."""

    workspace: SimSlack
    team_id: str

    def template(self, name: str) -> dict[str, Any]:
        """A fresh payload template (built in; the tests' layer reads real captured ones)."""
        return templates.template(name)

    def _channel_type(self, channel_id: str) -> str:
        chan = self.workspace.channels.get(channel_id)
        if channel_id.startswith("D") or (chan is not None and chan.is_im):
            return "im"
        if chan is not None and chan.is_mpim:
            return "mpim"
        return "group" if chan is not None and chan.is_private else "channel"

    def message_event(
        self,
        channel: str,
        text: str,
        *,
        user: str,
        ts: str | None = None,
        thread_ts: str | None = None,
        team_id: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A user-typed ``message`` event (a thread reply when ``thread_ts`` is given)."""
        ev = self.template("message")
        ts = ts or self.workspace.next_ts()
        ev.update(
            client_msg_id=str(uuid.uuid4()),
            text=text,
            user=user,
            ts=ts,
            team=team_id or self.team_id,
            blocks=rich_text(text),
            channel=channel,
            event_ts=ts,
            channel_type=self._channel_type(channel),
        )
        if thread_ts is not None:
            parent = self.workspace.find_message(channel, thread_ts) or {}
            ev.update(thread_ts=thread_ts, parent_user_id=parent.get("user", user))
        ev.update(extra)
        return ev

    def bot_message_event(
        self, channel: str, text: str, *, bot_id: str, username: str, ts: str | None = None
    ) -> dict[str, Any]:
        """A ``bot_message`` event: another app (an alerting tool) posted ``text``."""
        ev = self.template("message")
        ts = ts or self.workspace.next_ts()
        del ev["user"]
        ev.update(
            subtype="bot_message",
            text=text,
            bot_id=bot_id,
            username=username,
            ts=ts,
            channel=channel,
            event_ts=ts,
            channel_type=self._channel_type(channel),
        )
        return ev

    def message_changed_event(
        self,
        channel: str,
        *,
        ts: str,
        text: str,
        user: str,
        previous_text: str | None = None,
        thread_ts: str | None = None,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """A ``message_changed`` event: message ``ts`` was edited to ``text``."""
        ev = self.template("message_changed")
        event_ts = self.workspace.next_ts()
        stored = self.workspace.find_message(channel, ts) or {}
        old = previous_text if previous_text is not None else stored.get("text", "")
        team = team_id or self.team_id
        base = {"type": "message", "user": user, "ts": ts, "team": team}
        if thread_ts is not None:
            base.update(thread_ts=thread_ts)
        edited = {"user": user, "ts": event_ts}
        ev.update(
            message={**base, "text": text, "blocks": rich_text(text), "edited": edited},
            previous_message={**base, "text": old, "blocks": rich_text(old)},
            channel=channel,
            ts=event_ts,
            event_ts=event_ts,
            channel_type=self._channel_type(channel),
        )
        return ev

    def message_deleted_event(
        self,
        channel: str,
        *,
        ts: str,
        user: str | None = None,
        previous_text: str | None = None,
        thread_ts: str | None = None,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """A ``message_deleted`` event for message ``ts``."""
        ev = self.template("message_deleted")
        event_ts = self.workspace.next_ts()
        stored = copy.deepcopy(self.workspace.find_message(channel, ts) or {})
        previous = stored or {"type": "message", "ts": ts, "team": team_id or self.team_id}
        if user is not None:
            previous["user"] = user
        if previous_text is not None or "text" not in previous:
            previous["text"] = previous_text or ""
        if thread_ts is not None:
            previous["thread_ts"] = thread_ts
        ev.update(
            channel=channel,
            previous_message=previous,
            deleted_ts=ts,
            ts=event_ts,
            event_ts=event_ts,
            channel_type=self._channel_type(channel),
        )
        return ev

    def reaction_event(
        self,
        added: bool,
        reaction: str,
        *,
        user: str,
        channel: str,
        ts: str,
        item_user: str | None = None,
    ) -> dict[str, Any]:
        """A ``reaction_added`` / ``reaction_removed`` event on message ``ts``."""
        name = "reaction_added" if added else "reaction_removed"
        ev = self.template(name)
        author = item_user or (self.workspace.find_message(channel, ts) or {}).get("user")
        item = {
            "type": "message",
            "channel": channel,
            "ts": ts,
            "channel_type": self._channel_type(channel),
        }
        ev.update(
            user=user, reaction=reaction.strip(":"), item=item, event_ts=self.workspace.next_ts()
        )
        if author is None:
            ev.pop("item_user", None)
        else:
            ev["item_user"] = author
        return ev

    def app_home_opened_event(self, user: str, *, tab: str = "home") -> dict[str, Any]:
        """An ``app_home_opened`` event (with ``view`` once a Home view was published)."""
        ev = self.template("app_home_opened")
        ev.update(
            user=user,
            channel=self.workspace.open_dm([user]).id,
            tab=tab,
            event_ts=self.workspace.next_ts(),
        )
        home = self.workspace.home_views.get(user)
        if home is not None:
            ev["view"] = copy.deepcopy(home)
        return ev
