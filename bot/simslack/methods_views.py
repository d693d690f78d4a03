"""views.open / push / update / publish handlers and modal stack bookkeeping."""

from __future__ import annotations

import re
import time
from typing import Any

from . import limits
from .methods_chat import assign_ids
from .methods_conversations import arg_json, arg_str
from .records import Req, SlackError, Trigger
from .state import Handler, SlackState

MAX_STACK = 3
_USER_ID = re.compile(r"[UW][A-Z0-9]+")


def _parse_view(req: Req) -> dict[str, Any]:
    bad = SlackError(
        "invalid_arguments", ["[ERROR] must provide an object [json-pointer:/view]"], rejected=True
    )
    try:
        view = arg_json(req.args, "view")
    except SlackError as exc:
        raise bad from exc
    if not isinstance(view, dict):
        raise bad
    return view


def view_errors(view: Any, kind: str) -> list[str]:
    """Limit errors for a view that must be of type ``kind``."""
    errs = limits.validate_view(view)
    if isinstance(view, dict) and view.get("type") in ("modal", "home") and view["type"] != kind:
        errs.append(f"[ERROR] must be one of: {kind} [json-pointer:/view/type]")
    return errs


def _check_view(
    st: SlackState, view: dict[str, Any], kind: str, exclude: str | None = None
) -> None:
    errs = view_errors(view, kind)
    if errs:
        raise SlackError("invalid_arguments", errs, rejected=True)
    if limits.view_too_large(view):
        raise SlackError("view_too_large", rejected=True)
    ext = view.get("external_id")
    if ext and any(v.get("external_id") == ext and v["id"] != exclude for v in st.views.values()):
        raise SlackError("duplicate_external_id")


def _trigger(st: SlackState, req: Req) -> Trigger:
    trigger_id = arg_str(req.args, "trigger_id") or arg_str(req.args, "interactivity_pointer")
    trig = st.triggers.get(trigger_id or "")
    if trig is None:
        raise SlackError("invalid_trigger_id")
    if trig.used:
        raise SlackError("exchanged_trigger_id")
    if time.monotonic() - trig.issued_at > st.trigger_ttl:
        raise SlackError("expired_trigger_id")
    return trig


def store_view(
    st: SlackState,
    view: dict[str, Any],
    *,
    team_id: str,
    view_id: str | None = None,
    root: str | None = None,
    previous: str | None = None,
) -> dict[str, Any]:
    """Store ``view`` as Slack returns it (id, hash, state, root/previous ids...)."""
    vid = view_id or st.new_id("V")
    old = st.views.get(vid, {})
    stored: dict[str, Any] = {
        "id": vid,
        "team_id": team_id,
        "type": view["type"],
        "blocks": assign_ids(st, view.get("blocks", [])),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "state": {"values": {}},
        "hash": f"{int(time.time())}.{st.random_token(8)}",
        "title": view.get("title"),
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "close": view.get("close"),
        "submit": view.get("submit"),
        "previous_view_id": previous,
        "root_view_id": root or vid,
        "app_id": st.app_id,
        "external_id": view.get("external_id") or old.get("external_id", ""),
        "app_installed_team_id": team_id,
        "bot_id": st.bot_id,
    }
    if view["type"] == "home" and stored["title"] is None:
        del stored["title"]
    st.views[vid] = stored
    return stored


def is_open(st: SlackState, view: dict[str, Any]) -> bool:
    """Home views are always live; modal views only while on an open stack."""
    return view["type"] == "home" or view["id"] in st.view_stacks.get(view["root_view_id"], [])


def _stack_root(st: SlackState, trig: Trigger) -> str:
    if trig.view_id:
        root = st.views.get(trig.view_id, {}).get("root_view_id")
        if root in st.view_stacks:
            return str(root)
    roots = [
        r for r in st.view_stacks if trig.user_id is None or st.view_users.get(r) == trig.user_id
    ]
    if not roots:
        raise SlackError("not_found")
    return roots[-1]


def views_open(st: SlackState, req: Req) -> dict[str, Any]:
    view = _parse_view(req)
    trig = _trigger(st, req)
    _check_view(st, view, "modal")
    trig.used = True
    stored = store_view(st, view, team_id=req.team_id)
    st.view_stacks[stored["id"]] = [stored["id"]]
    st.view_users[stored["id"]] = trig.user_id
    return {"view": stored}


def views_push(st: SlackState, req: Req) -> dict[str, Any]:
    view = _parse_view(req)
    trig = _trigger(st, req)
    root = _stack_root(st, trig)
    stack = st.view_stacks[root]
    if len(stack) >= MAX_STACK:
        raise SlackError("push_limit_reached")
    _check_view(st, view, "modal")
    trig.used = True
    stored = store_view(st, view, team_id=req.team_id, root=root, previous=stack[-1])
    stack.append(stored["id"])
    st.view_users[stored["id"]] = st.view_users.get(root)
    return {"view": stored}


def views_update(st: SlackState, req: Req) -> dict[str, Any]:
    view = _parse_view(req)
    view_id, external_id = arg_str(req.args, "view_id"), arg_str(req.args, "external_id")
    if view_id:
        target = st.views.get(view_id)
    else:
        target = next(
            (v for v in st.views.values() if external_id and v["external_id"] == external_id), None
        )
    if target is None or not is_open(st, target):
        raise SlackError("not_found")
    view_hash = arg_str(req.args, "hash")
    if view_hash and view_hash != target["hash"]:
        raise SlackError("hash_conflict")
    _check_view(st, view, target["type"], exclude=target["id"])
    stored = store_view(
        st,
        view,
        team_id=req.team_id,
        view_id=target["id"],
        root=target["root_view_id"],
        previous=target["previous_view_id"],
    )
    owner = st.view_users.get(stored["id"])
    if stored["type"] == "home" and owner:
        st.home_views[owner] = stored
    return {"view": stored}


def views_publish(st: SlackState, req: Req) -> dict[str, Any]:
    if not st.home_enabled:
        raise SlackError("not_enabled")
    user_id = arg_str(req.args, "user_id") or ""
    if not _USER_ID.fullmatch(user_id):
        raise SlackError("invalid_arguments", ["invalid `user_id`"])
    view = _parse_view(req)
    existing = st.home_views.get(user_id)
    view_hash = arg_str(req.args, "hash")
    if existing and view_hash and view_hash != existing["hash"]:
        raise SlackError("hash_conflict")
    _check_view(st, view, "home", exclude=existing["id"] if existing else None)
    stored = store_view(st, view, team_id=req.team_id, view_id=existing["id"] if existing else None)
    st.home_views[user_id] = stored
    st.view_users[stored["id"]] = user_id
    return {"view": stored}


def close_view(st: SlackState, view_id: str, *, clear: bool) -> None:
    """Close one modal view (or, with ``clear``, its whole stack)."""
    view = st.views.get(view_id)
    if view is None:
        return
    root = view["root_view_id"]
    stack = st.view_stacks.get(root)
    if not stack or view_id not in stack:
        return
    if clear:
        del st.view_stacks[root]
        return
    del stack[stack.index(view_id) :]
    if not stack:
        del st.view_stacks[root]


def _field_errors(view: dict[str, Any], errors: Any) -> list[str]:
    """What is wrong with a ``response_action: errors`` ack (nothing, when it names inputs)."""
    if not isinstance(errors, dict) or not errors:
        return ["[ERROR] must provide a non-empty object [json-pointer:/errors]"]
    inputs = {b.get("block_id") for b in view["blocks"] if b.get("type") == "input"}
    return [
        f"[ERROR] {k!r} is not the block_id of an input block [json-pointer:/errors]"
        for k in errors
        if k not in inputs
    ]


def apply_submission_response(
    st: SlackState, view_id: str, response: dict[str, Any] | None
) -> list[str]:
    """Apply an app's view_submission ack to the modal stack; returns Slack-style errors."""
    view = st.views.get(view_id)
    if view is None or not is_open(st, view):
        return []
    action = (response or {}).get("response_action")
    if not action:
        close_view(st, view_id, clear=False)
        return []
    assert response is not None
    if action == "clear":
        close_view(st, view_id, clear=True)
        return []
    if action == "errors":
        return _field_errors(view, response.get("errors"))
    if action not in ("update", "push"):
        return [f"[ERROR] unknown response_action {action!r} [json-pointer:/response_action]"]
    new = response.get("view")
    errs = view_errors(new, "modal")
    if not errs and limits.view_too_large(new):
        errs = ["view_too_large"]
    if errs:
        return errs
    assert isinstance(new, dict)
    stack = st.view_stacks[view["root_view_id"]]
    if action == "update":
        store_view(
            st,
            new,
            team_id=view["team_id"],
            view_id=view_id,
            root=view["root_view_id"],
            previous=view["previous_view_id"],
        )
        return []
    if len(stack) >= MAX_STACK:
        return ["push_limit_reached"]
    pushed = store_view(
        st, new, team_id=view["team_id"], root=view["root_view_id"], previous=stack[-1]
    )
    stack.append(pushed["id"])
    st.view_users[pushed["id"]] = st.view_users.get(view["root_view_id"])
    return []


HANDLERS: dict[str, Handler] = {
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}
