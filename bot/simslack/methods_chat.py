"""chat.*, pins, reactions and bookmarks methods."""

from __future__ import annotations

import copy
import re
import time
from typing import Any

from . import limits
from .methods_conversations import arg_bool, arg_json, arg_str, get_channel
from .records import Channel, Req, SlackError
from .state import Handler, SlackState

_TS = re.compile(r"\d+\.\d+")


def assign_ids(st: SlackState, blocks: Any) -> Any:
    """Give blocks without block_id (and elements without action_id) random ids, like Slack."""
    if not isinstance(blocks, list):
        return blocks
    blocks = copy.deepcopy(blocks)
    for block in blocks:
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", st.random_token())
        elements = [block.get("element"), block.get("accessory")]
        if block.get("type") == "actions":
            elements.extend(block.get("elements") or [])
        for el in elements:
            if isinstance(el, dict) and el.get("type") not in ("image", "plain_text", "mrkdwn"):
                el.setdefault("action_id", st.random_token(4))
    return blocks


def post_channel(st: SlackState, channel_id: str | None) -> Channel:
    """Resolve a channel to post into (a user id means the DM with that user)."""
    if channel_id and channel_id[0] in "UW" and channel_id in st.users:
        return st.open_dm([channel_id])
    chan = get_channel(st, channel_id, member=False)
    if chan.is_archived:
        raise SlackError("is_archived")
    if st.bot_user_id not in chan.members:
        raise SlackError("not_in_channel")
    return chan


def _content(args: dict[str, Any], *, require: bool = True) -> tuple[str | None, Any]:
    text = arg_str(args, "text")
    markdown_text = arg_str(args, "markdown_text")
    try:
        blocks = arg_json(args, "blocks")
        attachments = arg_json(args, "attachments")
    except SlackError as exc:
        raise SlackError("invalid_blocks_format", exc.messages, rejected=True) from exc
    if markdown_text and (text or blocks):
        raise SlackError("markdown_text_conflict")
    if require and not (text or blocks or attachments or markdown_text):
        raise SlackError("no_text")
    errs = limits.message_text_errors(text, markdown_text=markdown_text)
    if errs:
        raise SlackError("msg_too_long", errs, rejected=True)
    if blocks is not None:
        errs = limits.validate_message_blocks(blocks)
        if errs:
            extra = {"errors": [e.removeprefix("[ERROR] ") for e in errs]}
            raise SlackError("invalid_blocks", errs, rejected=True, extra=extra)
    if isinstance(attachments, list) and len(attachments) > 100:
        raise SlackError("too_many_attachments", rejected=True)
    return text if text is not None else markdown_text, blocks


def _bot_profile(st: SlackState) -> dict[str, Any]:
    icons = {f"image_{n}": f"https://fake.slack.test/bot_{n}.png" for n in (36, 48, 72)}
    return {
        "id": st.bot_id,
        "deleted": False,
        "name": st.bot_name,
        "updated": 1700000000,
        "app_id": st.app_id,
        "icons": icons,
        "team_id": st.team_id,
    }


def _own_message(st: SlackState, chan: Channel, ts: str | None, error: str) -> dict[str, Any]:
    msg = st.find_message(chan.id, ts or "")
    if msg is None:
        raise SlackError("message_not_found")
    if msg.get("bot_id") != st.bot_id and msg.get("user") != st.bot_user_id:
        raise SlackError(error)
    return msg


def chat_post_message(st: SlackState, req: Req) -> dict[str, Any]:
    chan = post_channel(st, arg_str(req.args, "channel"))
    text, blocks = _content(req.args)
    extra: dict[str, Any] = {"app_id": st.app_id, "bot_profile": _bot_profile(st)}
    if blocks is not None:
        extra["blocks"] = assign_ids(st, blocks)
    metadata = arg_json(req.args, "metadata")
    if metadata:
        extra["metadata"] = metadata
    thread_ts = arg_str(req.args, "thread_ts")
    broadcast = bool(thread_ts) and arg_bool(req.args, "reply_broadcast")
    ts = st.add_message(
        chan.id,
        text=text or "",
        user=st.bot_user_id,
        thread_ts=thread_ts,
        bot_id=st.bot_id,
        subtype="thread_broadcast" if broadcast else None,
        **extra,
    )
    return {"channel": chan.id, "ts": ts, "message": st.find_message(chan.id, ts)}


def chat_update(st: SlackState, req: Req) -> dict[str, Any]:
    chan = get_channel(st, arg_str(req.args, "channel"), member=False)
    msg = _own_message(st, chan, arg_str(req.args, "ts"), "cant_update_message")
    text, blocks = _content(req.args)
    if text is not None:
        msg["text"] = text
    if blocks is not None:
        msg["blocks"] = assign_ids(st, blocks)
    if metadata := arg_json(req.args, "metadata"):
        msg["metadata"] = metadata
    msg["edited"] = {"user": st.bot_user_id, "ts": st.next_ts()}
    return {"channel": chan.id, "ts": msg["ts"], "text": msg["text"], "message": msg}


def chat_delete(st: SlackState, req: Req) -> dict[str, Any]:
    chan = get_channel(st, arg_str(req.args, "channel"), member=False)
    msg = _own_message(st, chan, arg_str(req.args, "ts"), "cant_delete_message")
    chan.messages.remove(msg)
    return {"channel": chan.id, "ts": msg["ts"]}


def chat_post_ephemeral(st: SlackState, req: Req) -> dict[str, Any]:
    chan = post_channel(st, arg_str(req.args, "channel"))
    user = arg_str(req.args, "user") or ""
    if user not in st.users:
        raise SlackError("user_not_found")
    if user not in chan.members:
        raise SlackError("user_not_in_channel")
    text, blocks = _content(req.args)
    message_ts = st.next_ts()
    st.ephemerals.append(
        {
            "channel": chan.id,
            "user": user,
            "text": text,
            "blocks": blocks,
            "thread_ts": arg_str(req.args, "thread_ts"),
            "message_ts": message_ts,
        }
    )
    return {"message_ts": message_ts}


def chat_get_permalink(st: SlackState, req: Req) -> dict[str, Any]:
    chan = get_channel(st, arg_str(req.args, "channel"), member=False)
    msg = st.find_message(chan.id, arg_str(req.args, "message_ts") or "")
    if msg is None:
        raise SlackError("message_not_found")
    link = f"https://fake.slack.test/archives/{chan.id}/p{msg['ts'].replace('.', '')}"
    if msg.get("thread_ts") not in (None, msg["ts"]):
        link += f"?thread_ts={msg['thread_ts']}&cid={chan.id}"
    return {"channel": chan.id, "permalink": link}


def _target(st: SlackState, req: Req, *, member: bool) -> tuple[Channel, dict[str, Any]]:
    chan = get_channel(st, arg_str(req.args, "channel"), member=member)
    ts = arg_str(req.args, "timestamp")
    if ts is None:
        raise SlackError("no_item_specified")
    if not _TS.fullmatch(ts):
        raise SlackError("bad_timestamp")
    msg = st.find_message(chan.id, ts)
    if msg is None:
        raise SlackError("message_not_found")
    return chan, msg


def pins_add(st: SlackState, req: Req) -> dict[str, Any]:
    chan, msg = _target(st, req, member=True)
    if msg["ts"] in chan.pins:
        raise SlackError("already_pinned")
    if len(chan.pins) >= 100:
        raise SlackError("too_many_pins")
    chan.pins.append(msg["ts"])
    msg["pinned_to"] = [chan.id]
    return {}


def reactions_add(st: SlackState, req: Req) -> dict[str, Any]:
    chan, msg = _target(st, req, member=True)
    name = (arg_str(req.args, "name") or "").strip(":")
    if not name:
        raise SlackError("invalid_name")
    if any(r["name"] == name and st.bot_user_id in r["users"] for r in msg.get("reactions", [])):
        raise SlackError("already_reacted")
    st.add_reaction(chan.id, msg["ts"], name, user=st.bot_user_id)
    return {}


def reactions_get(st: SlackState, req: Req) -> dict[str, Any]:
    chan, msg = _target(st, req, member=False)
    return {"type": "message", "channel": chan.id, "message": msg}


def bookmarks_add(st: SlackState, req: Req) -> dict[str, Any]:
    chan = get_channel(st, arg_str(req.args, "channel_id"), member=False)
    if arg_str(req.args, "type") != "link":
        raise SlackError("invalid_bookmark_type")
    link = arg_str(req.args, "link") or ""
    if not link.startswith(("http://", "https://")):
        raise SlackError("invalid_link")
    if len(chan.bookmarks) >= 100:
        raise SlackError("too_many_bookmarks")
    now = int(time.time())
    bookmark = {
        "id": st.new_id("Bk"),
        "channel_id": chan.id,
        "title": arg_str(req.args, "title"),
        "link": link,
        "emoji": arg_str(req.args, "emoji"),
        "icon_url": None,
        "type": "link",
        "entity_id": None,
        "date_created": now,
        "date_updated": 0,
        "rank": "U",
        "last_updated_by_user_id": st.bot_user_id,
        "last_updated_by_team_id": req.team_id,
        "shortcut_id": None,
        "app_id": None,
    }
    chan.bookmarks.append(bookmark)
    return {"bookmark": bookmark}


HANDLERS: dict[str, Handler] = {
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.getPermalink": chat_get_permalink,
    "pins.add": pins_add,
    "reactions.add": reactions_add,
    "reactions.get": reactions_get,
    "bookmarks.add": bookmarks_add,
}
