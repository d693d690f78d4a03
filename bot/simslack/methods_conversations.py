"""auth.test, users.info and conversations.* handlers, plus shared arg helpers."""

from __future__ import annotations

import base64
import binascii
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from .records import Channel, Req, SlackError
from .state import Handler, SlackState, ts_key

_NAME_OK = re.compile(r"[a-z0-9_-]+")
_TS = re.compile(r"\d+\.\d+")


# ---- argument helpers ----------------------------------------------------------------------
def arg_str(args: dict[str, Any], name: str) -> str | None:
    """A string argument, None when absent or empty."""
    value = args.get(name)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def arg_bool(args: dict[str, Any], name: str) -> bool:
    """Slack booleans: true/1 (also sent as Python True) mean true."""
    value = args.get(name)
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true") if value is not None else False


def arg_int(args: dict[str, Any], name: str, default: int) -> int:
    """An integer argument (0 or garbage -> default)."""
    try:
        value = int(args.get(name) or 0)
    except (TypeError, ValueError):
        return default
    return value if value > 0 else default


def arg_json(args: dict[str, Any], name: str) -> Any:
    """A structured argument sent either as JSON text (form/query) or as JSON (body)."""
    value = args.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise SlackError(
                "invalid_arguments", [f"[ERROR] invalid json [json-pointer:/{name}]"]
            ) from exc
    return value


def arg_list(args: dict[str, Any], name: str) -> list[str]:
    """A comma-joined list argument."""
    value = args.get(name)
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


# ---- channel helpers -----------------------------------------------------------------------
def get_channel(st: SlackState, channel_id: str | None, *, member: bool = True) -> Channel:
    """Look up a channel as the bot sees it (private channels are invisible to non-members)."""
    chan = st.channels.get(channel_id or "")
    if chan is None or (chan.is_private and st.bot_user_id not in chan.members):
        raise SlackError("channel_not_found")
    if member and st.bot_user_id not in chan.members:
        raise SlackError("not_in_channel")
    return chan


def channel_obj(st: SlackState, chan: Channel, *, num_members: bool = False) -> dict[str, Any]:
    """A conversation object in Slack's shape."""
    if chan.is_im:
        user = st.users.get(chan.user or "", {})
        return {
            "id": chan.id,
            "created": chan.created,
            "is_im": True,
            "is_org_shared": False,
            "context_team_id": st.team_id,
            "user": chan.user,
            "is_user_deleted": bool(user.get("deleted")),
            "priority": 0,
            "is_open": True,
        }
    obj: dict[str, Any] = {
        "id": chan.id,
        "name": chan.name,
        "is_channel": not chan.is_mpim,
        "is_group": False,
        "is_im": False,
        "is_mpim": chan.is_mpim,
        "is_private": chan.is_private,
        "created": chan.created,
        "is_archived": chan.is_archived,
        "is_general": chan.name == "general",
        "unlinked": 0,
        "name_normalized": chan.name,
        "is_shared": False,
        "is_org_shared": False,
        "is_pending_ext_shared": False,
        "pending_shared": [],
        "context_team_id": st.team_id,
        "creator": chan.creator,
        "is_ext_shared": False,
        "shared_team_ids": [st.team_id],
        "pending_connected_team_ids": [],
        "is_member": st.bot_user_id in chan.members,
        "last_read": "0000000000.000000",
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
        "previous_names": [],
    }
    if num_members:
        obj["num_members"] = len(chan.members)
    return obj


def encode_cursor(key: str) -> str:
    """Slack-style opaque cursor (base64 of ``next_ts:<digits>``)."""
    return base64.b64encode(f"next_ts:{key.replace('.', '')}".encode()).decode()


def cursor_index(items: list[dict[str, Any]], cursor: str | None) -> int:
    """Index of the item a cursor points at (0 without a cursor)."""
    if not cursor:
        return 0
    try:
        decoded = base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise SlackError("invalid_cursor") from exc
    key = decoded.removeprefix("next_ts:")
    for i, item in enumerate(items):
        if item["ts"].replace(".", "") == key:
            return i
    raise SlackError("invalid_cursor")


def _bound(args: dict[str, Any], name: str, error: str) -> Decimal | None:
    raw = arg_str(args, name)
    if raw is None:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise SlackError(error) from exc


def _in_range(messages: list[dict[str, Any]], args: dict[str, Any]) -> list[dict[str, Any]]:
    oldest = _bound(args, "oldest", "invalid_ts_oldest")
    latest = _bound(args, "latest", "invalid_ts_latest")
    inclusive = arg_bool(args, "inclusive")

    def keep(m: dict[str, Any]) -> bool:
        key = ts_key(m["ts"])
        if oldest is not None and (key < oldest or (key == oldest and not inclusive)):
            return False
        return latest is None or key < latest or (key == latest and inclusive)

    return [m for m in messages if keep(m)]


def _is_top_level(m: dict[str, Any]) -> bool:
    return m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"


def _user(st: SlackState, user_id: str) -> dict[str, Any]:
    user = st.users.get(user_id)
    if user is None:
        raise SlackError("user_not_found")
    return user


# ---- handlers ------------------------------------------------------------------------------
def auth_test(st: SlackState, req: Req) -> dict[str, Any]:
    return {
        "url": f"https://{st.team_domain}.slack.com/",
        "team": st.team_name,
        "user": st.bot_name,
        "team_id": req.team_id,
        "user_id": st.bot_user_id,
        "bot_id": st.bot_id,
        "is_enterprise_install": False,
    }


def users_info(st: SlackState, req: Req) -> dict[str, Any]:
    return {"user": _user(st, arg_str(req.args, "user") or "")}


def conversations_create(st: SlackState, req: Req) -> dict[str, Any]:
    name = arg_str(req.args, "name") or ""
    if not name:
        raise SlackError("invalid_name_required")
    if len(name) > 80:
        raise SlackError("invalid_name_maxlength")
    if not _NAME_OK.fullmatch(name):
        raise SlackError("invalid_name_specials")
    if not re.search(r"[a-z0-9]", name):
        raise SlackError("invalid_name_punctuation")
    if any(c.name == name for c in st.channels.values() if not (c.is_im or c.is_mpim)):
        raise SlackError("name_taken")
    is_private = arg_bool(req.args, "is_private")
    cid = st.add_channel(name, is_private=is_private, bot_is_member=True, creator=st.bot_user_id)
    return {"channel": channel_obj(st, st.channels[cid])}


def conversations_invite(st: SlackState, req: Req) -> dict[str, Any]:
    chan = get_channel(st, arg_str(req.args, "channel"), member=False)
    if chan.is_im or chan.is_mpim:
        raise SlackError("method_not_supported_for_channel_type")
    if chan.is_archived:
        raise SlackError("is_archived")
    if st.bot_user_id not in chan.members:
        raise SlackError("not_in_channel")
    users = arg_list(req.args, "users")
    if not users:
        raise SlackError("no_user")
    if len(users) > 1000:
        raise SlackError("too_many_users")
    for user_id in users:
        if user_id == st.bot_user_id:
            raise SlackError("cant_invite_self")
        if _user(st, user_id).get("deleted"):
            raise SlackError("cant_invite")
    new = [u for u in users if u not in chan.members]
    if not new:
        errors = [{"user": u, "ok": False, "error": "already_in_channel"} for u in users]
        raise SlackError("already_in_channel", extra={"errors": errors})
    chan.members.update(new)
    return {"channel": channel_obj(st, chan)}


def conversations_join(st: SlackState, req: Req) -> dict[str, Any]:
    chan = get_channel(st, arg_str(req.args, "channel"), member=False)
    if chan.is_im or chan.is_mpim or chan.is_private:
        raise SlackError("method_not_supported_for_channel_type")
    if chan.is_archived:
        raise SlackError("is_archived")
    result: dict[str, Any] = {}
    if st.bot_user_id in chan.members:
        result = {
            "warning": "already_in_channel",
            "response_metadata": {"warnings": ["already_in_channel"]},
        }
    chan.members.add(st.bot_user_id)
    return {"channel": channel_obj(st, chan), **result}


def conversations_archive(st: SlackState, req: Req) -> dict[str, Any]:
    chan = get_channel(st, arg_str(req.args, "channel"), member=False)
    if chan.is_im or chan.is_mpim:
        raise SlackError("method_not_supported_for_channel_type")
    if chan.is_archived:
        raise SlackError("already_archived")
    chan.is_archived = True
    return {}


def conversations_info(st: SlackState, req: Req) -> dict[str, Any]:
    chan = get_channel(st, arg_str(req.args, "channel"), member=False)
    return {"channel": channel_obj(st, chan, num_members=arg_bool(req.args, "include_num_members"))}


def conversations_open(st: SlackState, req: Req) -> dict[str, Any]:
    if arg_str(req.args, "channel"):
        chan = get_channel(st, arg_str(req.args, "channel"), member=False)
        if not (chan.is_im or chan.is_mpim):
            raise SlackError("method_not_supported_for_channel_type")
    else:
        users = [u for u in arg_list(req.args, "users") if u != st.bot_user_id]
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 8:
            raise SlackError("too_many_users")
        for user_id in users:
            _user(st, user_id)
        chan = st.open_dm(users)
    if arg_bool(req.args, "return_im"):
        return {"no_op": True, "already_open": True, "channel": channel_obj(st, chan)}
    return {"channel": {"id": chan.id}}


def conversations_history(st: SlackState, req: Req) -> dict[str, Any]:
    chan = get_channel(st, arg_str(req.args, "channel"))
    messages = _in_range([m for m in chan.messages if _is_top_level(m)], req.args)
    messages.reverse()
    limit = min(arg_int(req.args, "limit", 100), 999)
    start = cursor_index(messages, arg_str(req.args, "cursor"))
    page = messages[start : start + limit]
    rest = messages[start + limit :]
    if not arg_bool(req.args, "include_all_metadata"):  # Slack leaves message metadata out
        page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
    return {
        "messages": page,
        "has_more": bool(rest),
        "pin_count": len(chan.pins),
        "channel_actions_ts": None,
        "channel_actions_count": 0,
        "response_metadata": {"next_cursor": encode_cursor(rest[0]["ts"]) if rest else ""},
    }


def conversations_replies(st: SlackState, req: Req) -> dict[str, Any]:
    chan = get_channel(st, arg_str(req.args, "channel"))
    ts = arg_str(req.args, "ts") or ""
    msg = st.find_message(chan.id, ts) if _TS.fullmatch(ts) else None
    if msg is None:
        raise SlackError("thread_not_found")
    root_ts = msg.get("thread_ts", msg["ts"])
    parent = st.find_message(chan.id, root_ts) or msg
    replies = [m for m in chan.messages if m.get("thread_ts") == root_ts and m["ts"] != root_ts]
    replies = _in_range(replies, req.args)
    limit = arg_int(req.args, "limit", 1000)
    cursor = arg_str(req.args, "cursor")
    if cursor:
        start = cursor_index(replies, cursor)
        page, rest = replies[start : start + limit], replies[start + limit :]
    else:
        page = [parent, *replies[: limit - 1]]
        rest = replies[limit - 1 :]
    return {
        "messages": page,
        "has_more": bool(rest),
        "response_metadata": {"next_cursor": encode_cursor(rest[0]["ts"]) if rest else ""},
    }


def conversations_members(st: SlackState, req: Req) -> dict[str, Any]:
    chan = get_channel(st, arg_str(req.args, "channel"), member=False)
    members = [{"ts": m} for m in sorted(chan.members)]
    limit = arg_int(req.args, "limit", 100)
    start = cursor_index(members, arg_str(req.args, "cursor"))
    rest = members[start + limit :]
    return {
        "members": [m["ts"] for m in members[start : start + limit]],
        "response_metadata": {"next_cursor": encode_cursor(rest[0]["ts"]) if rest else ""},
    }


HANDLERS: dict[str, Handler] = {
    "auth.test": auth_test,
    "users.info": users_info,
    "conversations.create": conversations_create,
    "conversations.invite": conversations_invite,
    "conversations.join": conversations_join,
    "conversations.archive": conversations_archive,
    "conversations.info": conversations_info,
    "conversations.open": conversations_open,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "conversations.members": conversations_members,
}
