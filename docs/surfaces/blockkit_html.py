"""Block Kit JSON as HTML that looks like Slack: a modal, a message, a DM or the Home tab.

Only what Hindsight's surfaces use is drawn (sections with fields and accessories, headers,
context, dividers, actions, inputs with their elements, inline errors), and mrkdwn the way
Slack shows it: *bold*, _italics_, ~strike~, `code`, quotes, links, mentions and channels by
name, dates in UTC, and the emoji the bot writes. Good enough to show a surface, not a clone.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from string import Template
from typing import Any

HERE = Path(__file__).resolve().parent
EMOJI = {
    "adhesive_bandage": "🩹",
    "arrow_right": "➡️",
    "books": "📚",
    "bulb": "💡",
    "dart": "🎯",
    "eyes": "👀",
    "hammer_and_wrench": "🛠️",
    "hourglass_flowing_sand": "⏳",
    "link": "🔗",
    "lock": "🔒",
    "mag": "🔍",
    "memo": "📝",
    "no_entry_sign": "🚫",
    "page_facing_up": "📄",
    "pushpin": "📌",
    "rotating_light": "🚨",
    "sparkles": "✨",
    "warning": "⚠️",
    "white_check_mark": "✅",
    "x": "❌",
    "zzz": "💤",
}
SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}
TOKEN = re.compile(r"<([^<>]+)>")
CODE = re.compile(r"`([^`\n]+)`")
STYLES = (
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), "b"),
    (re.compile(r"(?<![\w])_(?=\S)([^_\n]+?)(?<=\S)_(?!\w)"), "i"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])"), "s"),
)
EMOJI_CODE = re.compile(r":([a-z0-9_+-]+):")


def ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def slack_time(moment: datetime, tokens: str) -> str:
    """A `<!date^…>` as Slack shows it, for a reader in UTC."""
    shown = {
        "date_short_pretty": f"{moment:%b} {moment.day}, {moment.year}",
        "date_short": f"{moment:%b} {moment.day}, {moment.year}",
        "date": f"{moment:%B} {ordinal(moment.day)}, {moment.year}",
        "date_pretty": f"{moment:%B} {ordinal(moment.day)}, {moment.year}",
        "date_long": f"{moment:%A}, {moment:%B} {ordinal(moment.day)}, {moment.year}",
        "date_num": f"{moment:%Y-%m-%d}",
        "time": f"{moment:%H:%M}",
    }
    return re.sub(r"\{(\w+)\}", lambda m: shown.get(m[1], m[0]), tokens)


class Renderer:
    """Draws blocks; `names` and `channels` give the names Slack would show for ids."""

    def __init__(self, names: Mapping[str, str], channels: Mapping[str, str]) -> None:
        self.names = names
        self.channels = channels

    # ---- text ----------------------------------------------------------------------------

    def emoji(self, text: str) -> str:
        return EMOJI_CODE.sub(lambda m: EMOJI.get(m[1], m[0]), text)

    def plain(self, text: str) -> str:
        return self.emoji(html.escape(text)).replace("\n", "<br>")

    def text(self, obj: Mapping[str, Any] | str | None) -> str:
        if obj is None:
            return ""
        if isinstance(obj, str):
            return self.mrkdwn(obj)
        if obj.get("type") == "mrkdwn":
            return self.mrkdwn(obj.get("text", ""))
        return self.plain(obj.get("text", ""))

    def token(self, token: str) -> str:
        target, _, label = token.partition("|")
        if target.startswith("@"):
            name = self.names.get(target[1:], label or target[1:])
            return f'<span class="mention">@{html.escape(name)}</span>'
        if target.startswith("#"):
            name = self.channels.get(target[1:], label or target[1:])
            return f'<span class="mention">#{html.escape(name)}</span>'
        if target.startswith("!date^"):
            stamp, _, tokens = target.removeprefix("!date^").partition("^")
            moment = datetime.fromtimestamp(int(stamp), UTC)
            return html.escape(slack_time(moment, tokens))
        if target.startswith("!"):
            name = target[1:].partition("^")[0]
            return f'<span class="mention">{SPECIAL.get(name, "@" + name)}</span>'
        shown = html.escape(label or target.removeprefix("mailto:"))
        return f'<a href="{html.escape(target)}">{shown}</a>'

    def mrkdwn(self, text: str) -> str:
        """Slack's mrkdwn as HTML. Slack text arrives with `&`, `<`, `>` escaped; tokens and
        code are set aside as placeholders so the styles never reach inside them."""
        kept: list[str] = []

        def keep(piece: str) -> str:
            kept.append(piece)
            return f"\x00{len(kept) - 1}\x00"

        text = TOKEN.sub(lambda m: keep(self.token(unescape(m[1]))), text)
        text = CODE.sub(lambda m: keep(f"<code>{html.escape(unescape(m[1]))}</code>"), text)
        lines = []
        for line in html.escape(unescape(text), quote=False).split("\n"):
            quote = line.startswith("&gt;")
            line = line.removeprefix("&gt;")
            for pattern, tag in STYLES:
                line = pattern.sub(rf"<{tag}>\1</{tag}>", line)
            line = self.emoji(line)
            lines.append(f'<span class="quote">{line}</span>' if quote else line)
        joined = "<br>".join(lines)
        return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m[1])], joined)

    # ---- blocks --------------------------------------------------------------------------

    def blocks(self, blocks: list[Mapping[str, Any]], errors: Mapping[str, str]) -> str:
        return "\n".join(self.block(block, errors) for block in blocks)

    def block(self, block: Mapping[str, Any], errors: Mapping[str, str]) -> str:
        kind = block["type"]
        if kind == "header":
            return f'<div class="header-block">{self.text(block["text"])}</div>'
        if kind == "divider":
            return '<hr class="divider">'
        if kind == "context":
            parts = " ".join(self.text(element) for element in block["elements"])
            return f'<div class="context">{parts}</div>'
        if kind == "actions":
            parts = "".join(self.element(element) for element in block["elements"])
            return f'<div class="actions">{parts}</div>'
        if kind == "section":
            return self.section(block)
        if kind == "input":
            return self.input(block, errors.get(block.get("block_id", "")))
        return f'<div class="unknown">[{html.escape(kind)} block]</div>'

    def section(self, block: Mapping[str, Any]) -> str:
        text = f'<div class="text">{self.text(block.get("text"))}</div>' if "text" in block else ""
        fields = ""
        if block.get("fields"):
            cells = "".join(f'<div class="field">{self.text(f)}</div>' for f in block["fields"])
            fields = f'<div class="fields">{cells}</div>'
        accessory = block.get("accessory")
        side = f'<div class="accessory">{self.element(accessory)}</div>' if accessory else ""
        return f'<div class="section"><div class="main">{text}{fields}</div>{side}</div>'

    def input(self, block: Mapping[str, Any], error: str | None) -> str:
        optional = ' <span class="optional">(optional)</span>' if block.get("optional") else ""
        label = f'<div class="label">{self.text(block["label"])}{optional}</div>'
        hint = f'<div class="hint">{self.text(block["hint"])}</div>' if block.get("hint") else ""
        problem = f'<div class="error">{self.plain(error)}</div>' if error else ""
        wrong = " has-error" if error else ""
        element = self.element(block["element"], wide=True)
        return f'<div class="input{wrong}">{label}{element}{problem}{hint}</div>'

    # ---- elements ------------------------------------------------------------------------

    def element(self, element: Mapping[str, Any], *, wide: bool = False) -> str:
        kind = element["type"]
        width = " wide" if wide else ""
        if kind == "button":
            style = element.get("style", "")
            return f'<span class="button {style}">{self.text(element["text"])}</span>'
        if kind == "plain_text_input":
            return self.text_input(element)
        if kind == "static_select":
            chosen = element.get("initial_option")
            shown = chosen["text"] if chosen else element.get("placeholder")
            return self.select(shown, placeholder=not chosen, width=width)
        if kind == "users_select":
            return self.user_select(element, width)
        if kind == "datepicker":
            day = element.get("initial_date")
            shown = datetime.fromisoformat(day).strftime("%a %b %-d, %Y") if day else None
            text = html.escape(shown) if shown else self.text(element.get("placeholder"))
            empty = "" if shown else " placeholder"
            return f'<span class="select date{width}{empty}">📅 {text or "Select a date"}</span>'
        if kind in ("checkboxes", "radio_buttons"):
            return self.choices(element, kind)
        return f'<span class="unknown">[{html.escape(kind)}]</span>'

    def text_input(self, element: Mapping[str, Any]) -> str:
        value = element.get("initial_value")
        shown = self.plain(value) if value else self.text(element.get("placeholder"))
        classes = "textbox" + (" multiline" if element.get("multiline") else "")
        classes += "" if value else " placeholder"
        return f'<div class="{classes}">{shown}</div>'

    def select(self, shown: Any, *, placeholder: bool, width: str) -> str:
        empty = " placeholder" if placeholder else ""
        text = self.text(shown) if shown else "Select an item"
        return f'<span class="select{width}{empty}">{text}<span class="chevron">⌄</span></span>'

    def user_select(self, element: Mapping[str, Any], width: str) -> str:
        user = element.get("initial_user")
        if not user:
            return self.select(element.get("placeholder"), placeholder=True, width=width)
        name = html.escape(self.names.get(user, user))
        avatar = f'<span class="avatar-small">{name[:1]}</span>'
        return (
            f'<span class="select user{width}">{avatar}{name}<span class="chevron">⌄</span></span>'
        )

    def choices(self, element: Mapping[str, Any], kind: str) -> str:
        chosen = element.get("initial_options") or []
        if element.get("initial_option"):
            chosen = [element["initial_option"]]
        picked = {option["value"] for option in chosen}
        shape = "box" if kind == "checkboxes" else "radio"
        rows = []
        for option in element["options"]:
            on = " on" if option["value"] in picked else ""
            about = option.get("description")
            described = f'<div class="description">{self.text(about)}</div>' if about else ""
            rows.append(
                f'<div class="choice"><span class="{shape}{on}"></span>'
                f"<div>{self.text(option['text'])}{described}</div></div>"
            )
        return f'<div class="choices">{"".join(rows)}</div>'


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# ---- frames ----------------------------------------------------------------------------------


def modal(r: Renderer, view: Mapping[str, Any], errors: Mapping[str, str]) -> str:
    buttons = ""
    if view.get("close"):
        buttons += f'<span class="button big">{r.text(view["close"])}</span>'
    if view.get("submit"):
        buttons += f'<span class="button big primary">{r.text(view["submit"])}</span>'
    return f"""
<div class="backdrop"><div class="modal">
  <div class="modal-title"><span class="app-icon">H</span>{r.text(view["title"])}
    <span class="close">✕</span></div>
  <div class="modal-body">{r.blocks(view["blocks"], errors)}</div>
  <div class="modal-footer">{buttons}</div>
</div></div>"""


def message(
    r: Renderer, blocks: list[Mapping[str, Any]], *, where: str, time: str, pinned: bool
) -> str:
    pin = '<div class="pinned">📌 Pinned by Hindsight</div>' if pinned else ""
    return f"""
<div class="pane">
  <div class="pane-title">{where}</div>
  <div class="message{" is-pinned" if pinned else ""}">{pin}
    <div class="message-row"><span class="avatar">H</span>
      <div class="message-body">
        <div class="sender"><b>Hindsight</b> <span class="app-tag">APP</span>
          <span class="time">{html.escape(time)}</span></div>
        {r.blocks(blocks, {})}
      </div></div>
  </div>
</div>"""


def home(r: Renderer, view: Mapping[str, Any]) -> str:
    return f"""
<div class="pane">
  <div class="pane-title"><span class="avatar tiny">H</span> Hindsight
    <div class="tabs"><span class="tab on">Home</span><span class="tab">Messages</span>
    <span class="tab">About</span></div></div>
  <div class="home-body">{r.blocks(view["blocks"], {})}</div>
</div>"""


def page(surface: Mapping[str, Any], r: Renderer, *, time: str = "", pinned: bool = False) -> str:
    """The whole HTML page for one surface (as samples.py builds them)."""
    kind = surface["surface"]
    if kind == "modal":
        body = modal(r, surface["view"], surface.get("errors", {}))
    elif kind == "home":
        body = home(r, surface["view"])
    else:
        where = (
            f"# {html.escape(r.channels.get(surface['channel'], surface['channel']))}"
            if kind == "message"
            else '<span class="avatar tiny">H</span> Hindsight'
        )
        body = message(r, surface["blocks"], where=where, time=time, pinned=pinned)
    template = Template((HERE / "page.html").read_text())
    return template.substitute(css=(HERE / "slack.css").read_text(), body=body, kind=kind)
