"""Text helpers every Block Kit builder shares: escaping, clipping, dates, quotes.

Whatever a person wrote reaches Slack without anything live in it: plain text (titles, answers
typed in a modal) through `escape`, text Slack formatted (a captured message, a command's text)
through `inert`. Only the bot's own `<@…>`, `<#…>` and links stay live.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from bot.publish.markdown import SPECIAL_MENTIONS

SLACK_TOKEN = re.compile(r"<([^<>]*)>")


def escape(text: str) -> str:
    """Text we did not get from Slack (names, notes typed in a modal) made safe for mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inert(text: str, names: Mapping[str, str] | None = None) -> str:
    """Slack-formatted text shown as people read it, with nothing live: `<@U1>` → `@name`,
    `<#C1|ops>` → `#ops`, `<!channel>` → `@channel`, `<https://x|label>` → `label (https://x)`.
    Slack's own escapes (`&lt;`) are kept, so what a person typed as text stays text."""
    if "<" not in text:
        return text
    return SLACK_TOKEN.sub(lambda match: escape(_shown(_unescape(match[1]), names or {})), text)


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _shown(token: str, names: Mapping[str, str]) -> str:
    target, _, label = token.partition("|")
    if target.startswith("@"):
        return "@" + (names.get(target[1:]) or label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        name = target[1:].partition("^")[0]
        return label or SPECIAL_MENTIONS.get(name) or "@" + target[1:].rpartition("^")[2]
    if label and label != target:
        return f"{label} ({target.removeprefix('mailto:')})"
    return target.removeprefix("mailto:")


def clip(text: str, limit: int) -> str:
    """Shorten Slack-formatted text without cutting a `<…>` link or an `&…;` entity in half."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    if cut.rfind("&") > cut.rfind(";"):
        cut = cut[: cut.rfind("&")]
    return cut.rstrip() + "…"


def slack_date(
    moment: datetime, *, tokens: str = "{date_short_pretty} {time}", fallback: str | None = None
) -> str:
    """A time each viewer sees in their own zone; the fallback is for clients that can't."""
    shown = fallback or moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{tokens}|{shown}>"


def quoted(text: str, limit: int) -> str:
    """A message (as Slack formatted it) shown as a block quote in a modal, clipped, inert."""
    return "\n".join(f">{line}" for line in inert(clip(text, limit)).splitlines()) or ">…"
