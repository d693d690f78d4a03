"""What a Slack message event means for the timeline: the one module that knows Slack's shapes.

`captured_from_slack` turns a message (as an event, or as returned by conversations.history /
replies) into a `CapturedMessage`; `change_from_slack` turns a whole `message` event (plain,
`message_changed`, `message_deleted`) into the change to apply. Both return None for what is not
timeline content: the bot's own messages, join/leave/topic/purpose/pin noise, and the like.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.text_clean import clean_strings, clean_text

# Subtypes that carry something a person (or an alerting integration) said.
# (`message_replied` only tells that a parent got a reply; the reply comes as its own event.)
CONTENT_SUBTYPES = frozenset({None, "bot_message", "thread_broadcast", "file_share", "me_message"})
TEXT_LIMIT = 40_000  # Slack truncates a message's text past this


@dataclass(frozen=True, slots=True)
class CapturedMessage:
    """One message as the timeline keeps it."""

    team_id: str
    channel_id: str
    ts: str
    thread_ts: str | None
    author_id: str | None
    author_name: str | None
    text: str
    occurred_at: datetime
    files: list[dict[str, str]] = field(default_factory=list)
    edited_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoreMessage:
    """A new message: stored once, whatever was stored for its ts before wins."""

    message: CapturedMessage


@dataclass(frozen=True, slots=True)
class EditMessage:
    """A message's newer content: inserted if unknown, else replaces an older version."""

    message: CapturedMessage


@dataclass(frozen=True, slots=True)
class DeleteMessage:
    """A deleted message: its text goes; a tombstone if it was not stored yet."""

    team_id: str
    channel_id: str
    ts: str
    thread_ts: str | None
    author_id: str | None
    deleted_at: datetime


MessageChange = StoreMessage | EditMessage | DeleteMessage


def ts_to_datetime(ts: str) -> datetime:
    """A Slack ts ("1663966382.046509") as an aware UTC datetime, to the microsecond."""
    try:
        micros = int(Decimal(ts) * 1_000_000)
    except InvalidOperation:
        raise ValueError(f"not a Slack ts: {ts!r}") from None
    seconds, micro = divmod(micros, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micro)


def captured_from_slack(
    event: dict[str, Any],
    *,
    team_id: str,
    channel_id: str,
    bot_user_id: str | None,
    bot_id: str | None,
) -> CapturedMessage | None:
    """The timeline's view of one Slack message, or None when it is not timeline content."""
    ts = event.get("ts")
    if not isinstance(ts, str) or event.get("subtype") not in CONTENT_SUBTYPES:
        return None
    if is_own_message(event, bot_user_id=bot_user_id, bot_id=bot_id):
        return None
    thread_ts = event.get("thread_ts")
    edited = event.get("edited") or {}
    return CapturedMessage(
        team_id=team_id,
        channel_id=channel_id,
        ts=ts,
        thread_ts=thread_ts if isinstance(thread_ts, str) and thread_ts != ts else None,
        author_id=event.get("user") or event.get("bot_id"),
        author_name=_author_name(event),
        # Cleaned here too: backfill and reactions read messages back from the Web API.
        text=clean_text(message_text(event)),
        files=[_file_reference(f) for f in event.get("files") or [] if isinstance(f, dict)],
        occurred_at=ts_to_datetime(ts),
        edited_at=ts_to_datetime(edited["ts"]) if isinstance(edited.get("ts"), str) else None,
    )


def change_from_slack(
    event: dict[str, Any],
    *,
    team_id: str,
    bot_user_id: str | None,
    bot_id: str | None,
    now: datetime,
) -> MessageChange | None:
    """The change one `message` event makes to the timeline, or None if it makes none. `now`
    (the runtime's clock) dates a deletion whose event carries no time of its own."""
    channel_id = event.get("channel")
    if not isinstance(channel_id, str):
        return None
    subtype = event.get("subtype")
    ours = {"team_id": team_id, "channel_id": channel_id}
    bot = {"bot_user_id": bot_user_id, "bot_id": bot_id}
    if subtype == "message_changed":
        message = event.get("message") or {}
        if is_own_message(message, **bot):
            return None
        if message.get("subtype") == "tombstone":  # a thread parent deleted under its replies
            return _deletion(message, ours, event.get("event_ts") or event.get("ts"), now)
        captured = captured_from_slack(message, **ours, **bot)
        return EditMessage(captured) if captured else None
    if subtype == "message_deleted":
        previous = event.get("previous_message") or {}
        if is_own_message(previous, **bot) or not isinstance(event.get("deleted_ts"), str):
            return None
        return _deletion({**previous, "ts": event["deleted_ts"]}, ours, event.get("ts"), now)
    captured = captured_from_slack(event, **ours, **bot)
    return StoreMessage(captured) if captured else None


def is_own_message(message: dict[str, Any], *, bot_user_id: str | None, bot_id: str | None) -> bool:
    user, message_bot = message.get("user"), message.get("bot_id")
    return bool((bot_user_id and user == bot_user_id) or (bot_id and message_bot == bot_id))


def message_text(message: dict[str, Any]) -> str:
    """The text, or for an alert posted only as attachments, their readable parts."""
    text = message.get("text") or ""
    if not text.strip():
        parts: list[str] = []
        for attachment in message.get("attachments") or []:
            if isinstance(attachment, dict):
                for key in ("pretext", "title", "text", "fallback"):
                    value = attachment.get(key)
                    if isinstance(value, str) and value.strip() and value not in parts:
                        parts.append(value)
                        if key == "text":
                            break
        text = "\n".join(parts)
    return text[:TEXT_LIMIT]


def message_author(message: dict[str, Any]) -> tuple[str | None, str | None]:
    """(Slack user id, app name): a person's message has the first, an integration's the
    second."""
    user_id = message.get("user")
    return (str(user_id) if user_id else None), _author_name(message)


def _author_name(message: dict[str, Any]) -> str | None:
    """A name for authors without a Slack user (webhooks, integrations); users get theirs later."""
    if message.get("user"):
        return None
    profile = message.get("bot_profile") or {}
    name = message.get("username") or profile.get("name")
    return clean_text(str(name))[:200] if name else None


def _file_reference(file: dict[str, Any]) -> dict[str, str]:
    """Name, title and permalink only: the file stays as private as Slack keeps it."""
    return clean_strings(
        {
            "name": str(file.get("name") or ""),
            "title": str(file.get("title") or ""),
            "permalink": str(file.get("permalink") or ""),
        }
    )


def _deletion(
    message: dict[str, Any], ours: dict[str, str], when: Any, now: datetime
) -> DeleteMessage | None:
    ts = message.get("ts")
    if not isinstance(ts, str):
        return None
    thread_ts = message.get("thread_ts")
    return DeleteMessage(
        **ours,
        ts=ts,
        thread_ts=thread_ts if isinstance(thread_ts, str) and thread_ts != ts else None,
        author_id=message.get("user") or message.get("bot_id"),
        deleted_at=ts_to_datetime(when) if isinstance(when, str) else now,
    )
