"""files.* (upload v2, list) and canvases.create methods."""

from __future__ import annotations

import copy
import mimetypes
import time
from typing import Any

from .methods_chat import post_channel
from .methods_conversations import arg_int, arg_json, arg_list, arg_str, get_channel
from .records import Channel, Req, SlackError, StoredFile
from .state import Handler, SlackState


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
    "files.getUploadURLExternal": files_get_upload_url,
    "files.completeUploadExternal": files_complete_upload,
    "files.list": files_list,
    "canvases.create": canvases_create,
}
