"""chat.*, pins, reactions, bookmarks, files upload v2 and canvases.create handlers."""

from __future__ import annotations

import copy
import mimetypes
import re
import time
from typing import Any

from . import limits
from .methods_conversations import arg_bool, arg_int, arg_json, arg_list, arg_str, get_channel
from .models import Channel, Handler, Req, SlackError, StoredFile
from .state import SlackState

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


def files_get_upload_url(st: SlackState, req: Req) -> dict[str, Any]:
    try:
        length = int(req.args.get("length") or 0)
    except (TypeError, ValueError):
        length = 0
    if length <= 0:
        raise SlackError(
            "invalid_arguments", ["[ERROR] must be greater than 0 [json-pointer:/length]"]
        )
    file_id = st.new_id("F")
    name = arg_str(req.args, "filename") or "Uploaded file"
    st.files[file_id] = StoredFile(file_id, name, length, st.bot_user_id, int(time.time()))
    return {"upload_url": f"{st.root_url}/upload/{file_id}", "file_id": file_id}


def file_obj(st: SlackState, f: StoredFile, chan: Channel | None) -> dict[str, Any]:
    """A file object in Slack's shape."""
    mimetype = mimetypes.guess_type(f.name)[0] or "application/octet-stream"
    ext = f.name.rsplit(".", 1)[-1].lower() if "." in f.name else "binary"
    base = f"https://files.fake.slack.test/files-pri/{st.team_id}-{f.id}/{f.name}"
    return {
        "id": f.id,
        "created": f.created,
        "timestamp": f.created,
        "name": f.name,
        "title": f.title,
        "mimetype": mimetype,
        "filetype": ext,
        "pretty_type": ext.upper(),
        "user": f.user,
        "user_team": st.team_id,
        "editable": False,
        "size": len(f.content or b""),
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": chan is not None and not chan.is_private,
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": base,
        "url_private_download": f"{base}?download=1",
        "permalink": f"https://{st.team_domain}.slack.com/files/{f.user}/{f.id}/{f.name}",
        "channels": [c for c in f.channels if c.startswith("C")],
        "groups": [],
        "ims": [c for c in f.channels if c.startswith("D")],
        "comments_count": 0,
        "file_access": "visible",
    }


def files_complete_upload(st: SlackState, req: Req) -> dict[str, Any]:
    items = arg_json(req.args, "files")
    if not isinstance(items, list) or not items:
        raise SlackError(
            "invalid_arguments", ["[ERROR] must provide an array [json-pointer:/files]"]
        )
    stored = []
    for item in items:
        f = st.files.get(item.get("id", "") if isinstance(item, dict) else "")
        if f is None or f.content is None:
            raise SlackError("file_not_found")
        stored.append((f, item))
    targets = [arg_str(req.args, "channel_id")] if arg_str(req.args, "channel_id") else []
    targets += arg_list(req.args, "channels")
    chans = [post_channel(st, cid) for cid in targets]
    for f, item in stored:
        f.title = item.get("title") or f.name
        f.completed = True
        f.channels.extend(c.id for c in chans)
    objs = [file_obj(st, f, chans[0] if chans else None) for f, _ in stored]
    for chan in chans:
        st.add_message(
            chan.id,
            text=arg_str(req.args, "initial_comment") or "",
            user=st.bot_user_id,
            bot_id=st.bot_id,
            thread_ts=arg_str(req.args, "thread_ts"),
            files=copy.deepcopy(objs),
            display_as_bot=False,
        )
    return {"files": objs}


def _canvas_file(st: SlackState, canvas: dict[str, Any]) -> dict[str, Any]:
    """A canvas as files.list shows it (a canvas is a file of type quip)."""
    return {
        "id": canvas["id"],
        "created": canvas["created"],
        "timestamp": canvas["created"],
        "name": canvas["title"] or "Untitled",
        "title": canvas["title"] or "Untitled",
        "mimetype": "application/vnd.slack-docs",
        "filetype": "quip",
        "pretty_type": "Canvas",
        "user": st.bot_user_id,
        "user_team": st.team_id,
        "permalink": f"https://{st.team_domain}.slack.com/docs/{st.team_id}/{canvas['id']}",
        "channels": [canvas["channel_id"]] if canvas.get("channel_id") else [],
    }


def files_list(st: SlackState, req: Req) -> dict[str, Any]:
    """Completed uploads and canvases, newest first, filtered by channel, user and time."""
    found = [file_obj(st, f, None) for f in st.files.values() if f.completed]
    found += [_canvas_file(st, c) for c in st.canvases.values()]
    channel, user = arg_str(req.args, "channel"), arg_str(req.args, "user")
    ts_from = int(arg_str(req.args, "ts_from") or 0)
    ts_to = int(arg_str(req.args, "ts_to") or 2**40)
    found = [
        f
        for f in found
        if ts_from <= f["created"] <= ts_to
        and (channel is None or channel in f["channels"] + f.get("ims", []))
        and (user is None or f["user"] == user)
    ]
    found.sort(key=lambda f: f["created"], reverse=True)
    count = arg_int(req.args, "count", 100)
    page = arg_int(req.args, "page", 1)
    pages = max(1, -(-len(found) // count))
    return {
        "files": found[(page - 1) * count : page * count],
        "paging": {"count": count, "total": len(found), "page": page, "pages": pages},
    }


def canvases_create(st: SlackState, req: Req) -> dict[str, Any]:
    if not st.canvases_enabled:
        raise SlackError("canvas_disabled_user_team")
    content = arg_json(req.args, "document_content")
    markdown = None
    if content is not None:
        if not isinstance(content, dict) or content.get("type") != "markdown":
            msg = "[ERROR] must be one of: markdown [json-pointer:/document_content/type]"
            raise SlackError("invalid_arguments", [msg], rejected=True)
        markdown = content.get("markdown")
        if not isinstance(markdown, str):
            msg = (
                "[ERROR] missing required field: markdown [json-pointer:/document_content/markdown]"
            )
            raise SlackError("invalid_arguments", [msg], rejected=True)
    channel_id = arg_str(req.args, "channel_id")
    if channel_id:
        get_channel(st, channel_id, member=False)
    canvas_id = st.new_id("F")
    st.canvases[canvas_id] = {
        "id": canvas_id,
        "title": arg_str(req.args, "title"),
        "markdown": markdown,
        "channel_id": channel_id,
        "created": int(time.time()),
    }
    return {"canvas_id": canvas_id}


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
    "files.getUploadURLExternal": files_get_upload_url,
    "files.completeUploadExternal": files_complete_upload,
    "canvases.create": canvases_create,
    "files.list": files_list,
}
