"""Pure Block Kit / view limit checks, returning Slack-style error strings.

Each error looks like Slack's ``response_metadata.messages`` entries, e.g.
``"[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"``.
Limits follow SLACK.md section 4.
"""

from __future__ import annotations

import json
from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
MAX_MARKDOWN_TEXT = 12_000
MAX_VIEW_BYTES = 250_000
MAX_ID = 255

_OPTION_ELEMENTS = {"static_select", "multi_static_select"}
_SMALL_OPTION_ELEMENTS = {"checkboxes": 10, "radio_buttons": 10, "overflow": 5}


def _too_long(limit: int, ptr: str) -> str:
    return f"[ERROR] must be less than {limit + 1} characters [json-pointer:{ptr}]"


def _too_many(limit: int, ptr: str) -> str:
    return f"[ERROR] must be less than {limit + 1} items [json-pointer:{ptr}]"


def _missing(field: str, ptr: str) -> str:
    return f"[ERROR] missing required field: {field} [json-pointer:{ptr}]"


def _err(message: str, ptr: str) -> str:
    return f"[ERROR] {message} [json-pointer:{ptr}]"


def _str(value: Any, limit: int, ptr: str, errs: list[str]) -> None:
    if isinstance(value, str) and len(value) > limit:
        errs.append(_too_long(limit, ptr))


def _text_obj(
    obj: Any, limit: int, ptr: str, errs: list[str], *, required: bool = False, plain: bool = False
) -> None:
    if obj is None:
        if required:
            errs.append(_missing(ptr.rsplit("/", 1)[-1], ptr))
        return
    if not isinstance(obj, dict):
        errs.append(_err("must provide an object", ptr))
        return
    if plain and obj.get("type") != "plain_text":
        errs.append(_err("must be one of: plain_text", f"{ptr}/type"))
    text = obj.get("text")
    if not isinstance(text, str) or (required and not text):
        errs.append(_missing("text", f"{ptr}/text"))
        return
    _str(text, limit, f"{ptr}/text", errs)


def _confirm(obj: Any, ptr: str, errs: list[str]) -> None:
    if not isinstance(obj, dict):
        return
    _text_obj(obj.get("title"), 100, f"{ptr}/title", errs)
    _text_obj(obj.get("text"), 300, f"{ptr}/text", errs)
    _text_obj(obj.get("confirm"), 30, f"{ptr}/confirm", errs)
    _text_obj(obj.get("deny"), 30, f"{ptr}/deny", errs)


def _option(opt: Any, ptr: str, errs: list[str]) -> None:
    if not isinstance(opt, dict):
        errs.append(_err("must provide an object", ptr))
        return
    _text_obj(opt.get("text"), 75, f"{ptr}/text", errs, required=True)
    _str(opt.get("value"), 150, f"{ptr}/value", errs)
    _text_obj(opt.get("description"), 75, f"{ptr}/description", errs)


def _options(options: Any, limit: int, ptr: str, errs: list[str]) -> None:
    if not isinstance(options, list):
        return
    if len(options) > limit:
        errs.append(_too_many(limit, ptr))
    for i, opt in enumerate(options):
        _option(opt, f"{ptr}/{i}", errs)


def _element(el: Any, ptr: str, errs: list[str]) -> None:
    if not isinstance(el, dict):
        errs.append(_err("must provide an object", ptr))
        return
    kind = el.get("type")
    if not kind:
        errs.append(_missing("type", f"{ptr}/type"))
    _str(el.get("action_id"), MAX_ID, f"{ptr}/action_id", errs)
    _text_obj(el.get("placeholder"), 150, f"{ptr}/placeholder", errs)
    _confirm(el.get("confirm"), f"{ptr}/confirm", errs)
    if kind == "button":
        _text_obj(el.get("text"), 75, f"{ptr}/text", errs, required=True)
        _str(el.get("value"), 2000, f"{ptr}/value", errs)
        _str(el.get("url"), 3000, f"{ptr}/url", errs)
    elif kind in _OPTION_ELEMENTS:
        has_opts, has_groups = "options" in el, "option_groups" in el
        if has_opts == has_groups:
            errs.append(_err("must provide exactly one of options or option_groups", ptr))
        _options(el.get("options"), 100, f"{ptr}/options", errs)
        groups = el.get("option_groups")
        if isinstance(groups, list):
            if len(groups) > 100:
                errs.append(_too_many(100, f"{ptr}/option_groups"))
            for i, group in enumerate(groups):
                if isinstance(group, dict):
                    gptr = f"{ptr}/option_groups/{i}"
                    _text_obj(group.get("label"), 75, f"{gptr}/label", errs)
                    _options(group.get("options"), 100, f"{gptr}/options", errs)
    elif kind in _SMALL_OPTION_ELEMENTS:
        _options(el.get("options"), _SMALL_OPTION_ELEMENTS[kind], f"{ptr}/options", errs)
    elif kind == "plain_text_input":
        for key in ("min_length", "max_length"):
            value = el.get(key)
            if isinstance(value, int) and not 0 <= value <= 3000:
                errs.append(_err("must be between 0 and 3000", f"{ptr}/{key}"))
        _str(el.get("initial_value"), 3000, f"{ptr}/initial_value", errs)
    if "initial_option" in el:
        _option(el["initial_option"], f"{ptr}/initial_option", errs)


def _block(block: Any, ptr: str, errs: list[str]) -> None:
    if not isinstance(block, dict):
        errs.append(_err("must provide an object", ptr))
        return
    kind = block.get("type")
    if not kind:
        errs.append(_missing("type", f"{ptr}/type"))
    _str(block.get("block_id"), MAX_ID, f"{ptr}/block_id", errs)
    if kind == "section":
        if block.get("text") is None and block.get("fields") is None:
            errs.append(_missing("text", f"{ptr}/text"))
        _text_obj(block.get("text"), 3000, f"{ptr}/text", errs)
        fields = block.get("fields")
        if isinstance(fields, list):
            if len(fields) > 10:
                errs.append(_too_many(10, f"{ptr}/fields"))
            for i, field in enumerate(fields):
                _text_obj(field, 2000, f"{ptr}/fields/{i}", errs)
        if "accessory" in block:
            _element(block["accessory"], f"{ptr}/accessory", errs)
    elif kind == "header":
        _text_obj(block.get("text"), 150, f"{ptr}/text", errs, required=True, plain=True)
    elif kind == "input":
        _text_obj(block.get("label"), 2000, f"{ptr}/label", errs, required=True, plain=True)
        _text_obj(block.get("hint"), 2000, f"{ptr}/hint", errs)
        if block.get("element") is None:
            errs.append(_missing("element", f"{ptr}/element"))
        else:
            _element(block["element"], f"{ptr}/element", errs)
    elif kind in ("actions", "context"):
        limit = 25 if kind == "actions" else 10
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            errs.append(_missing("elements", f"{ptr}/elements"))
        elif len(elements) > limit:
            errs.append(_too_many(limit, f"{ptr}/elements"))
        if kind == "actions" and isinstance(elements, list):
            for i, el in enumerate(elements):
                _element(el, f"{ptr}/elements/{i}", errs)
    elif kind == "markdown":
        _str(block.get("text"), MAX_MARKDOWN_TEXT, f"{ptr}/text", errs)
    elif kind == "image":
        _str(block.get("alt_text"), 2000, f"{ptr}/alt_text", errs)
        _str(block.get("image_url"), 3000, f"{ptr}/image_url", errs)
        _text_obj(block.get("title"), 2000, f"{ptr}/title", errs)


def validate_blocks(blocks: Any, *, max_blocks: int, pointer: str = "/blocks") -> list[str]:
    """Errors for a blocks array (messages: 50 blocks, views: 100)."""
    if not isinstance(blocks, list):
        return [_err("must provide an array", pointer)]
    errs: list[str] = []
    if len(blocks) > max_blocks:
        errs.append(_too_many(max_blocks, pointer))
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        _block(block, f"{pointer}/{i}", errs)
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str):
            if block_id in seen:
                errs.append(_err(f"duplicate block_id: {block_id}", f"{pointer}/{i}/block_id"))
            seen.add(block_id)
    return errs


def validate_message_blocks(blocks: Any) -> list[str]:
    """Errors for chat.postMessage / chat.update ``blocks`` (-> ``invalid_blocks``)."""
    return validate_blocks(blocks, max_blocks=MAX_MESSAGE_BLOCKS)


def message_text_errors(text: Any, *, markdown_text: Any = None) -> list[str]:
    """Errors for message text (-> ``msg_too_long``)."""
    errs: list[str] = []
    _str(text, MAX_MESSAGE_TEXT, "/text", errs)
    _str(markdown_text, MAX_MARKDOWN_TEXT, "/markdown_text", errs)
    return errs


def validate_view(view: Any, *, pointer: str = "/view") -> list[str]:
    """Errors for a modal or Home view (-> ``invalid_arguments``)."""
    if not isinstance(view, dict):
        return [_err("must provide an object", pointer)]
    errs: list[str] = []
    kind = view.get("type")
    if kind not in ("modal", "home"):
        errs.append(_err("must be one of: modal, home", f"{pointer}/type"))
    if "blocks" not in view:
        errs.append(_missing("blocks", f"{pointer}/blocks"))
    else:
        errs.extend(
            validate_blocks(view["blocks"], max_blocks=MAX_VIEW_BLOCKS, pointer=f"{pointer}/blocks")
        )
    if kind == "modal":
        _text_obj(view.get("title"), 24, f"{pointer}/title", errs, required=True, plain=True)
        for key in ("submit", "close"):
            _text_obj(view.get(key), 24, f"{pointer}/{key}", errs, plain=True)
        blocks = view.get("blocks") if isinstance(view.get("blocks"), list) else []
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and not view.get("submit"):
            errs.append(
                _err("must provide submit when input blocks are present", f"{pointer}/submit")
            )
    elif kind == "home":
        for key in ("submit", "close"):
            if view.get(key):
                errs.append(_err(f"{key} is not allowed in a home view", f"{pointer}/{key}"))
    _str(view.get("callback_id"), MAX_ID, f"{pointer}/callback_id", errs)
    _str(view.get("external_id"), MAX_ID, f"{pointer}/external_id", errs)
    _str(view.get("private_metadata"), 3000, f"{pointer}/private_metadata", errs)
    return errs


def view_too_large(view: Any) -> bool:
    """True when the serialized view exceeds Slack's 250 kB (-> ``view_too_large``)."""
    return len(json.dumps(view, separators=(",", ":")).encode()) > MAX_VIEW_BYTES
