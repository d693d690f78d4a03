"""users.list: the workspace's members a page at a time, by Slack's cursor pagination."""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

from .methods_conversations import arg_bool, arg_int, arg_str
from .records import Req, SlackError
from .state import Handler, SlackState

# Slack serves at most this many members a page whatever `limit` asks; without a limit it
# tries to send everyone, and a team larger than that is refused with `limit_required`.
MAX_PAGE = 1000
CURSOR_PREFIX = "user:"  # Slack's cursors here are base64 of `user:<next member's id>`


def encode_user_cursor(user_id: str) -> str:
    return base64.b64encode(f"{CURSOR_PREFIX}{user_id}".encode()).decode()


def _start(members: list[dict[str, Any]], cursor: str | None) -> int:
    """Where the page a cursor points at begins (0 without one); invalid_cursor for a cursor
    this workspace never gave, or whose member is gone."""
    if not cursor:
        return 0
    try:
        decoded = base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise SlackError("invalid_cursor") from exc
    if decoded.startswith(CURSOR_PREFIX):
        user_id = decoded.removeprefix(CURSOR_PREFIX)
        for index, member in enumerate(members):
            if member["id"] == user_id:
                return index
    raise SlackError("invalid_cursor")


def users_list(st: SlackState, req: Req) -> dict[str, Any]:
    """Every member of the token's workspace (bots and deactivated people too), in the order
    they were added, `limit` at a time (at most MAX_PAGE)."""
    members = [user for user in st.users.values() if user.get("team_id") == req.team_id]
    asked = arg_int(req.args, "limit", 0)
    if not asked and len(members) > MAX_PAGE:
        raise SlackError("limit_required")
    limit = min(asked or MAX_PAGE, MAX_PAGE)
    start = _start(members, arg_str(req.args, "cursor"))
    page, rest = members[start : start + limit], members[start + limit :]
    if arg_bool(req.args, "include_locale"):
        page = [{**member, "locale": "en-US"} for member in page]
    return {
        "members": page,
        "cache_ts": int(time.time()),
        "response_metadata": {"next_cursor": encode_user_cursor(rest[0]["id"]) if rest else ""},
    }


HANDLERS: dict[str, Handler] = {"users.list": users_list}
